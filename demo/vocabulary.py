"""The demo catalog's vocabulary: topics with their sub-categories, tags, subjects and products,
and the words the generator composes titles, descriptions and profiles from.

Every topic owns its tags (the first one is the topic tag every demo row of that topic carries), so
the topic of a product, short video or live session can be read back from its tags with
``topic_for_tag``; a course's topic is the parent of its category.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SubCategory:
    slug: str
    name: str
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ProductItem:
    name: str
    digital: bool
    low: int
    high: int


@dataclass(frozen=True)
class Topic:
    key: str
    name: str
    colour: str
    glyph: str
    tag: str
    extra_tags: tuple[str, ...]
    pitch: str
    outcomes: tuple[str, ...]
    english_subjects: tuple[str, ...]
    roles: tuple[str, ...]
    related: tuple[str, ...]
    subcategories: tuple[SubCategory, ...]
    products: tuple[ProductItem, ...]

    @property
    def tags(self) -> tuple[str, ...]:
        sub_tags = tuple(tag for sub in self.subcategories for tag in sub.tags)
        return (self.tag, *self.extra_tags, *sub_tags)


def _sub(slug: str, name: str, tags: str, subjects: str, keywords: str) -> SubCategory:
    return SubCategory(
        slug, name, tuple(tags.split()), tuple(subjects.split()), tuple(keywords.split())
    )


def _item(name: str, low: int, high: int, *, digital: bool = False) -> ProductItem:
    return ProductItem(name, digital, low, high)


TOPICS: tuple[Topic, ...] = (
    Topic(
        key="python",
        name="Python编程",
        colour="#3776AB",
        glyph="Py",
        tag="Python",
        extra_tags=("编程",),
        pitch="当下最受欢迎的编程语言之一，语法简洁、生态丰富",
        outcomes=("写出第一个完整项目", "告别重复劳动", "搭建自己的网站", "读懂开源代码"),
        english_subjects=("Python Programming", "Django Web Development"),
        roles=("资深Python工程师", "开源项目维护者", "后端架构师"),
        related=("data", "ai"),
        subcategories=(
            _sub(
                "python-basics",
                "基础语法",
                "Python基础",
                "Python编程 Python零基础",
                "变量与数据类型 函数 面向对象 异常处理 模块与包",
            ),
            _sub(
                "python-web",
                "Web开发",
                "Web开发 Django",
                "Django开发 FastAPI后端开发",
                "Django FastAPI REST接口 数据库建模 部署上线",
            ),
            _sub(
                "python-automation",
                "自动化办公",
                "自动化 爬虫",
                "Python自动化办公 Python爬虫",
                "Excel自动化 网页爬虫 Selenium 定时任务 正则表达式",
            ),
        ),
        products=(
            _item("《Python编程：从入门到实践》", 59, 99),
            _item("《流畅的Python》", 99, 139),
            _item("机械键盘", 299, 899),
            _item("人体工学鼠标", 129, 399),
            _item("Python编程配套源码包", 19, 49, digital=True),
        ),
    ),
    Topic(
        key="data",
        name="数据分析",
        colour="#2E8B57",
        glyph="数",
        tag="数据分析",
        extra_tags=("数据思维",),
        pitch="每个岗位都用得上的硬技能，让决策有据可依",
        outcomes=("做出老板爱看的数据看板", "用数据讲好业务故事", "搭建指标体系", "转行数据分析师"),
        english_subjects=("Data Analysis with Python", "SQL for Analysts"),
        roles=("前互联网大厂数据分析师", "商业分析顾问", "数据产品经理"),
        related=("python", "career"),
        subcategories=(
            _sub(
                "data-excel",
                "Excel与BI",
                "Excel BI",
                "Excel数据分析 PowerBI商业分析",
                "数据透视表 函数公式 PowerQuery 仪表盘 图表设计",
            ),
            _sub(
                "data-python",
                "Python数据分析",
                "Pandas 数据可视化",
                "Python数据分析 Pandas数据处理",
                "Pandas NumPy Matplotlib 数据清洗 可视化",
            ),
            _sub(
                "data-sql",
                "SQL与数据库",
                "SQL",
                "SQL数据分析 MySQL查询",
                "SQL查询 窗口函数 数据建模 指标体系 AB测试",
            ),
        ),
        products=(
            _item("《利用Python进行数据分析》", 89, 129),
            _item("《深入浅出统计学》", 69, 99),
            _item("数据分析报表模板合集", 29, 99, digital=True),
            _item("Excel函数速查手册", 19, 39, digital=True),
            _item("便携显示器", 699, 1499),
        ),
    ),
    Topic(
        key="ai",
        name="人工智能",
        colour="#7B3FE4",
        glyph="AI",
        tag="人工智能",
        extra_tags=("ChatGPT",),
        pitch="正在改变每一个行业的技术浪潮",
        outcomes=(
            "训练出自己的第一个模型",
            "用大模型打造智能助手",
            "看懂前沿论文",
            "把AI用进日常工作",
        ),
        english_subjects=("Machine Learning", "Building LLM Applications"),
        roles=("算法工程师", "AI研究员", "大模型应用架构师"),
        related=("python", "data"),
        subcategories=(
            _sub(
                "ai-ml",
                "机器学习",
                "机器学习",
                "机器学习 Scikit-learn机器学习",
                "线性回归 决策树 特征工程 模型评估 推荐系统",
            ),
            _sub(
                "ai-dl",
                "深度学习",
                "深度学习 PyTorch",
                "深度学习 PyTorch深度学习",
                "神经网络 PyTorch 卷积网络 Transformer 模型训练",
            ),
            _sub(
                "ai-llm",
                "大模型应用",
                "大模型 AIGC",
                "大模型应用开发 AIGC提示词工程",
                "提示词 RAG 向量数据库 智能体 模型微调",
            ),
        ),
        products=(
            _item("《深度学习入门》", 59, 89),
            _item("《机器学习》", 79, 109),
            _item("GPU云算力时长卡", 99, 399, digital=True),
            _item("大模型提示词手册", 29, 69, digital=True),
            _item("降噪耳机", 399, 1299),
        ),
    ),
    Topic(
        key="career",
        name="职场技能",
        colour="#D2691E",
        glyph="职",
        tag="职场",
        extra_tags=("升职加薪",),
        pitch="决定职业高度的通用能力",
        outcomes=("汇报一次就过", "少加班多产出", "带好第一支团队", "在面试中脱颖而出"),
        english_subjects=("Business Communication", "Productivity at Work"),
        roles=("500强企业培训师", "资深HR总监", "职业发展教练"),
        related=("english", "data"),
        subcategories=(
            _sub(
                "career-office",
                "办公软件",
                "PPT 办公软件",
                "PPT设计 Word排版",
                "PPT 版式设计 演示技巧 模板 图表美化",
            ),
            _sub(
                "career-communication",
                "沟通表达",
                "沟通 演讲",
                "职场沟通 公众演讲",
                "工作汇报 即兴表达 向上管理 谈判 故事思维",
            ),
            _sub(
                "career-management",
                "管理与效率",
                "时间管理 项目管理",
                "时间管理 团队管理",
                "OKR 复盘 项目管理 目标拆解 专注力",
            ),
        ),
        products=(
            _item("《金字塔原理》", 49, 79),
            _item("《非暴力沟通》", 39, 69),
            _item("PPT模板会员", 49, 199, digital=True),
            _item("时间管理手账本", 39, 89),
            _item("无线翻页笔", 59, 159),
        ),
    ),
    Topic(
        key="finance",
        name="理财投资",
        colour="#C9A227",
        glyph="¥",
        tag="理财",
        extra_tags=("财务自由",),
        pitch="每个人都该掌握的财商必修课",
        outcomes=(
            "攒下第一笔积蓄",
            "建立稳健的投资组合",
            "看懂一家公司的财报",
            "避开常见的理财陷阱",
        ),
        english_subjects=("Personal Finance", "Investing Basics"),
        roles=("注册金融分析师", "前公募基金研究员", "家庭理财规划师"),
        related=("career", "data"),
        subcategories=(
            _sub(
                "finance-basics",
                "个人理财",
                "理财入门 保险",
                "个人理财 家庭资产配置",
                "记账 预算 保险规划 应急金 资产配置",
            ),
            _sub(
                "finance-funds",
                "基金定投",
                "基金",
                "基金投资 指数基金定投",
                "指数基金 定投 债券基金 止盈 估值",
            ),
            _sub(
                "finance-stocks",
                "股票投资",
                "股票 财报分析",
                "股票投资 财报分析",
                "财报 估值模型 行业分析 价值投资 风险控制",
            ),
        ),
        products=(
            _item("《小狗钱钱》", 29, 49),
            _item("《聪明的投资者》", 59, 99),
            _item("家庭记账本", 19, 49),
            _item("家庭资产配置表格模板", 19, 59, digital=True),
            _item("投资复盘笔记模板", 9, 29, digital=True),
        ),
    ),
    Topic(
        key="english",
        name="英语学习",
        colour="#1E90FF",
        glyph="EN",
        tag="英语",
        extra_tags=("外语",),
        pitch="打开世界的一把钥匙",
        outcomes=("开口说地道英语", "雅思一次上7分", "看懂英文原版书", "轻松应对英文会议"),
        english_subjects=("Spoken English", "IELTS Preparation"),
        roles=("雅思考官培训师", "同声传译", "海归英语教师"),
        related=("career", "parenting"),
        subcategories=(
            _sub(
                "english-speaking",
                "口语",
                "英语口语 商务英语",
                "英语口语 商务英语",
                "发音 日常对话 商务邮件 会议表达 自然拼读",
            ),
            _sub(
                "english-exams",
                "考试备考",
                "雅思 考研",
                "雅思备考 考研英语",
                "听力 阅读 写作 口语题库 词汇",
            ),
            _sub(
                "english-grammar",
                "词汇语法",
                "英语语法 词汇",
                "英语语法 核心词汇",
                "时态 从句 词根词缀 长难句 阅读理解",
            ),
        ),
        products=(
            _item("雅思真题集", 89, 169),
            _item("《英语语法新思维》", 59, 99),
            _item("英语单词卡片", 29, 69),
            _item("智能点读笔", 199, 499),
            _item("商务英语邮件模板", 19, 49, digital=True),
        ),
    ),
    Topic(
        key="photography",
        name="摄影",
        colour="#E0474C",
        glyph="摄",
        tag="摄影",
        extra_tags=("器材",),
        pitch="用镜头记录生活、表达自我的艺术",
        outcomes=("拍出朋友圈点赞最多的照片", "掌握专业级调色", "用手机拍出大片", "开启接单副业"),
        english_subjects=("Photography Fundamentals", "Lightroom Editing"),
        roles=("商业摄影师", "风光摄影师", "视觉设计总监"),
        related=("design", "music"),
        subcategories=(
            _sub(
                "photo-basics",
                "摄影入门",
                "手机摄影 构图",
                "摄影入门 手机摄影",
                "构图 光圈快门 曝光 用光 色彩",
            ),
            _sub(
                "photo-portrait",
                "人像与风光",
                "人像摄影 风光摄影",
                "人像摄影 风光摄影",
                "人像布光 街拍 风光 夜景 旅拍",
            ),
            _sub(
                "photo-editing",
                "后期修图",
                "后期修图",
                "Lightroom后期 Photoshop修图",
                "调色 Lightroom Photoshop 人像精修 RAW格式",
            ),
        ),
        products=(
            _item("相机镜头 50mm F1.8", 899, 1999),
            _item("微单相机", 3999, 8999),
            _item("碳纤维三脚架", 199, 699),
            _item("手机稳定器", 299, 799),
            _item("便携补光灯", 99, 399),
            _item("Lightroom调色预设包", 29, 99, digital=True),
        ),
    ),
    Topic(
        key="fitness",
        name="健身",
        colour="#FF7F50",
        glyph="健",
        tag="健身",
        extra_tags=("运动",),
        pitch="投资回报最高的一项习惯",
        outcomes=("练出好体态", "三个月减脂十斤", "告别久坐腰酸背痛", "养成运动习惯"),
        english_subjects=("Strength Training", "Yoga for Beginners"),
        roles=("国家认证健身教练", "瑜伽导师", "运动康复师"),
        related=("cooking", "parenting"),
        subcategories=(
            _sub(
                "fitness-strength",
                "力量训练",
                "增肌 力量训练",
                "力量训练 增肌塑形",
                "深蹲 硬拉 卧推 核心训练 训练计划",
            ),
            _sub(
                "fitness-yoga",
                "瑜伽普拉提",
                "瑜伽 体态",
                "瑜伽 普拉提",
                "体式 呼吸 柔韧性 体态矫正 冥想",
            ),
            _sub(
                "fitness-fatloss",
                "减脂",
                "减脂 跑步",
                "科学减脂 居家燃脂",
                "有氧 HIIT 饮食控制 热量缺口 跑步",
            ),
        ),
        products=(
            _item("瑜伽垫", 69, 299),
            _item("弹力带套装", 39, 129),
            _item("可调节哑铃", 299, 1299),
            _item("乳清蛋白粉", 199, 399),
            _item("运动手环", 199, 599),
            _item("居家训练计划", 19, 69, digital=True),
        ),
    ),
    Topic(
        key="cooking",
        name="烹饪",
        colour="#E4A11B",
        glyph="厨",
        tag="美食",
        extra_tags=("下厨",),
        pitch="最治愈的生活技能",
        outcomes=("做出一桌年夜饭", "在家复刻网红甜点", "冲出一杯好咖啡", "告别外卖"),
        english_subjects=("Home Cooking", "Coffee Brewing"),
        roles=("中餐主厨", "甜点主理人", "咖啡烘焙师"),
        related=("fitness", "parenting"),
        subcategories=(
            _sub("cooking-home", "家常菜", "家常菜", "家常菜 快手菜", "刀工 火候 调味 红烧 小炒"),
            _sub(
                "cooking-baking",
                "烘焙",
                "烘焙",
                "烘焙 蛋糕甜点",
                "面包 戚风蛋糕 奶油裱花 饼干 发酵",
            ),
            _sub(
                "cooking-coffee",
                "咖啡茶饮",
                "咖啡 茶饮",
                "手冲咖啡 茶艺",
                "咖啡豆 手冲 拉花 萃取 茶叶",
            ),
        ),
        products=(
            _item("精品咖啡豆", 59, 189),
            _item("手冲壶", 129, 399),
            _item("铸铁锅", 299, 899),
            _item("烘焙工具套装", 89, 299),
            _item("厨房电子秤", 39, 99),
            _item("《家常菜谱大全》", 39, 69),
        ),
    ),
    Topic(
        key="parenting",
        name="育儿",
        colour="#FF69B4",
        glyph="育",
        tag="育儿",
        extra_tags=("亲子",),
        pitch="父母一生都在修的课",
        outcomes=("养出爱阅读的孩子", "不吼不叫带娃", "轻松搞定辅食", "陪孩子度过叛逆期"),
        english_subjects=("Positive Parenting", "Early Childhood Education"),
        roles=("儿童心理咨询师", "早教机构创始人", "儿科护士"),
        related=("english", "cooking"),
        subcategories=(
            _sub(
                "parenting-early",
                "早期教育",
                "早教 绘本",
                "早期教育 绘本阅读",
                "绘本 亲子游戏 语言启蒙 专注力培养 感统训练",
            ),
            _sub(
                "parenting-psychology",
                "儿童心理",
                "正面管教 儿童心理",
                "正面管教 儿童心理",
                "情绪管理 习惯养成 亲子沟通 二胎家庭 青春期",
            ),
            _sub(
                "parenting-health",
                "科学喂养",
                "辅食 喂养",
                "科学喂养 辅食制作",
                "辅食 睡眠 营养 常见病护理 成长发育",
            ),
        ),
        products=(
            _item("经典绘本套装", 99, 299),
            _item("早教闪卡", 29, 79),
            _item("婴儿辅食机", 199, 599),
            _item("儿童益智积木", 99, 399),
            _item("《正面管教》", 39, 59),
        ),
    ),
    Topic(
        key="design",
        name="设计",
        colour="#0FA3B1",
        glyph="设",
        tag="设计",
        extra_tags=("审美",),
        pitch="让想法被看见的能力",
        outcomes=("做出拿得出手的作品集", "接到第一单设计私活", "建立自己的设计系统", "提升审美"),
        english_subjects=("UI Design with Figma", "Graphic Design Essentials"),
        roles=("资深UI设计师", "品牌设计总监", "独立插画师"),
        related=("photography", "career"),
        subcategories=(
            _sub(
                "design-ui",
                "UI/UX设计",
                "UI设计 Figma",
                "UI设计 用户体验设计",
                "Figma 交互设计 设计系统 原型 可用性测试",
            ),
            _sub(
                "design-graphic",
                "平面设计",
                "平面设计 品牌",
                "平面设计 品牌设计",
                "排版 字体设计 Logo 海报 配色",
            ),
            _sub(
                "design-illustration",
                "插画",
                "插画 Procreate",
                "商业插画 Procreate插画",
                "Procreate 线稿 上色 角色设计 iPad绘画",
            ),
        ),
        products=(
            _item("数位板", 299, 999),
            _item("Figma组件库", 49, 199, digital=True),
            _item("商用字体包", 99, 299, digital=True),
            _item("Procreate笔刷包", 19, 69, digital=True),
            _item("《写给大家看的设计书》", 49, 79),
            _item("潘通色卡", 39, 99),
        ),
    ),
    Topic(
        key="music",
        name="音乐",
        colour="#6A5ACD",
        glyph="音",
        tag="音乐",
        extra_tags=("乐器",),
        pitch="陪伴一生的爱好",
        outcomes=("弹唱一首完整的歌", "看懂五线谱", "唱歌不跑调", "做出第一首原创编曲"),
        english_subjects=("Guitar for Beginners", "Music Production"),
        roles=("音乐学院讲师", "独立音乐人", "录音棚制作人"),
        related=("photography", "parenting"),
        subcategories=(
            _sub("music-guitar", "吉他", "吉他", "吉他弹唱 指弹吉他", "和弦 扫弦 指法 乐理 编配"),
            _sub(
                "music-piano",
                "钢琴",
                "钢琴",
                "成人钢琴 流行钢琴",
                "识谱 左手伴奏 即兴伴奏 和声 练习方法",
            ),
            _sub(
                "music-vocal",
                "声乐与制作",
                "唱歌 编曲",
                "流行唱法 编曲制作",
                "气息 共鸣 音准 编曲 混音",
            ),
        ),
        products=(
            _item("民谣吉他", 599, 1999),
            _item("电钢琴", 1999, 4999),
            _item("夹式调音器", 29, 79),
            _item("录音麦克风", 299, 999),
            _item("电子节拍器", 49, 129),
            _item("吉他弹唱曲谱集", 19, 49, digital=True),
        ),
    ),
)

TOPICS_BY_KEY: dict[str, Topic] = {topic.key: topic for topic in TOPICS}

# Tags that cut across topics; the generator picks them by level and by format.
BEGINNER_TAGS = ("入门", "零基础", "新手友好")
ADVANCED_TAGS = ("进阶", "系统课")
FORMAT_TAGS = ("实战", "案例拆解", "训练营", "效率提升", "副业", "考证")
SHOP_TAGS = ("好物推荐", "限时优惠")
CROSS_TAGS = (*BEGINNER_TAGS, *ADVANCED_TAGS, *FORMAT_TAGS, *SHOP_TAGS)

ALL_TAGS: tuple[str, ...] = (*(tag for topic in TOPICS for tag in topic.tags), *CROSS_TAGS)

_TAG_TOPICS = {tag: topic.key for topic in TOPICS for tag in topic.tags}


def topic_for_tag(name: str) -> str | None:
    """The key of the topic that owns the tag ``name``; None for cross-topic tags."""
    return _TAG_TOPICS.get(name)


# Course titles: (pattern, level or None for any). {s} subject, {k1}/{k2} keywords, {o} outcome.
COURSE_TEMPLATES: tuple[tuple[str, str | None], ...] = (
    ("{s}实战：从{k1}到{k2}", "intermediate"),
    ("零基础学{s}", "beginner"),
    ("{s}从入门到精通", "beginner"),
    ("{s}核心30讲", None),
    ("{s}进阶：{o}", "intermediate"),
    ("21天{s}训练营", "beginner"),
    ("{k1}精讲：{o}", None),
    ("写给新手的{s}课", "beginner"),
    ("{s}高手之路：{k1}与{k2}深度解析", "advanced"),
    ("{s}：{o}", None),
    ("一次讲透{k1}：{s}必修课", "intermediate"),
    ("{s}案例课：{k1}、{k2}全拆解", "advanced"),
)
ENGLISH_TEMPLATES: tuple[tuple[str, str | None], ...] = (
    ("{s}: A Practical Introduction", "beginner"),
    ("Mastering {s}", "advanced"),
    ("{s} Bootcamp", "intermediate"),
    ("{s} in 30 Days", "beginner"),
    ("Hands-on {s}", "intermediate"),
)
ENGLISH_VARIANTS = (" (2026 Edition)", ": Live Cohort", " II", ": Project Edition")
TITLE_VARIANTS = ("（2026版）", "· 进阶篇", "· 精讲版", "（第二期）", "· 实战篇", "· 直播互动版")
SUBTITLE_TEMPLATES = (
    "{k1}、{k2}、{k3}一次讲透，{o}",
    "从{k1}开始，循序渐进掌握{s}",
    "{n}节精品课，带你{o}",
    "用真实案例学{k1}，学完就能用",
)
ENGLISH_SUBTITLES = (
    "From first steps to real projects, at your own pace",
    "Clear explanations, practical exercises and real-world examples",
    "Everything you need to get started, taught in English",
)
INSTRUCTOR_STYLES = ("深入浅出", "干货密集", "幽默风趣", "案例丰富", "节奏紧凑", "耐心细致")
AUDIENCES = (
    "想系统学习{s}的新手",
    "有一定基础、希望突破瓶颈的学员",
    "工作中需要用到{k1}的职场人",
    "想把{s}发展成副业的朋友",
)
CHAPTER_SUFFIXES = ("基础", "核心方法", "实战演练", "进阶技巧", "案例拆解", "常见问题")
# In teaching order: a chapter's lessons keep this order.
LESSON_ASPECTS = (
    "工具准备",
    "核心概念",
    "案例讲解",
    "动手练习",
    "常见误区",
    "进阶技巧",
    "作业点评",
    "要点回顾",
)
INTRODUCTION_LESSONS = ("课程介绍与学习路线", "{s}能帮你做什么")
ENGLISH_MODULES = (
    "Getting Started",
    "Core Concepts",
    "Hands-on Project",
    "Going Further",
    "Best Practices",
    "Wrap-up and Q&A",
)
ENGLISH_LESSONS = ("Overview", "Key Ideas", "Walkthrough", "Exercise", "Common Pitfalls", "Recap")

LIVE_TEMPLATES = (
    "{s}直播答疑",
    "{k1}专场：直播间限时福利",
    "周末直播：{s}实战演示",
    "{name}直播间·{k1}好物推荐",
    "手把手带练：{k1}",
    "{s}新课发布会",
    "{o}：公开课直播",
)
VIDEO_TEMPLATES = (
    "{k1}的3个常见误区",
    "1分钟学会{k1}",
    "{s}新手必看",
    "为什么你的{k1}总是做不好？",
    "{k1}小技巧，第{n}弹",
    "{name}：聊聊{k1}",
    "看完这条，你也能{o}",
    "{k1} vs {k2}，怎么选？",
)
PRODUCT_VARIANTS = ("", "（标准版）", "（升级款）", " · 套装", " · 礼盒装", " Pro")
BOOK_VARIANTS = ("", "（第3版）", " · 签名版", " · 套装")
DIGITAL_VARIANTS = ("", "（2026版）", " · 完整版", " · 精选版")
PRODUCT_BLURBS = (
    "{name}亲自挑选，{topic}爱好者的必备好物。",
    "直播间同款，{name}日常在用。",
    "配合{name}的{topic}课程使用效果更好，学员口碑推荐。",
)

SURNAMES = tuple("王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余")
GIVEN_NAMES = [
    "思远",
    "晓雨",
    "子涵",
    "一鸣",
    "雨桐",
    "浩然",
    "欣怡",
    "俊杰",
    "梦琪",
    "文博",
    "静怡",
    "天宇",
    "嘉怡",
    "明轩",
    "佳琪",
    "志强",
    "晨曦",
    "若溪",
    "宇航",
    "书瑶",
    "子墨",
    "诗涵",
    "建国",
    "丽华",
    "可欣",
    "亦凡",
    "思琪",
    "博文",
    "雅静",
    "家豪",
]
ORGANISATIONS = ("互联网大厂", "外资企业", "知名高校", "头部MCN机构", "创业公司", "世界500强企业")

# Delivery addresses of the demo learners who bought physical products: (region, postal code).
DELIVERY_REGIONS = (
    ("北京市 北京市 海淀区", "100080"),
    ("上海市 上海市 浦东新区", "200120"),
    ("广东省 深圳市 南山区", "518057"),
    ("广东省 广州市 天河区", "510630"),
    ("浙江省 杭州市 西湖区", "310013"),
    ("江苏省 南京市 鼓楼区", "210008"),
    ("四川省 成都市 武侯区", "610041"),
    ("湖北省 武汉市 洪山区", "430074"),
    ("陕西省 西安市 雁塔区", "710061"),
    ("福建省 厦门市 思明区", "361001"),
    ("山东省 青岛市 市南区", "266001"),
    ("湖南省 长沙市 岳麓区", "410006"),
)
STREETS = ("中山路", "人民路", "解放路", "建设路", "学府路", "科技园路", "滨江大道", "文化路")
