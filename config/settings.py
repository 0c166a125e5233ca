"""Zhibo's settings: the one place that reads the environment.

With no environment at all the site runs on its embedded default: a SQLite file under ``var/``,
the local-memory cache, ``DEBUG`` on, and Celery on kombu's filesystem transport (a broker that
needs no server). ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
``DJANGO_ENV=production`` turns on the production checks: no default secret key, ``DEBUG`` off,
HTTPS-only cookies and HSTS (``manage.py check --deploy`` passes with no warnings).
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; the environment wins over the file

# Local state: the SQLite file, the filesystem broker, the training lock, model caches.
VAR_DIR = Path(env.str("DJANGO_VAR_DIR", default=str(BASE_DIR / "var")))

ENVIRONMENT = env.str("DJANGO_ENV", default="development")
PRODUCTION = ENVIRONMENT == "production"

if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: refuse to start without one
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production"
    )

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# How many proxies in front of the site (load balancer, CDN) append the address they received a
# request from to X-Forwarded-For. The client's address (config/addresses.py) is that many
# entries from the right; with 0, the default, the header is ignored and the address is the
# connection's, so a client cannot choose its own address by sending the header.
TRUSTED_PROXIES = env.int("DJANGO_TRUSTED_PROXIES", default=0)

INSTALLED_APPS = [
    # First, so that ``manage.py runserver`` serves the ASGI application (HTTP and WebSocket).
    "daphne",
    "accounts.admin_site.AdminConfig",  # django.contrib.admin, with the site's limited sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",  # its translations (the token blacklist admin in Chinese)
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "channels",
    # Domain apps, each depending only on those above it.
    "accounts",
    "courses",
    "commerce",
    "social",
    "liveroom",
    "recommendations",
    "analytics",
    "privacy",
    # The doors: server-rendered pages and the REST API; and the demo data.
    "web",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.middleware.SingleValuedQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.VisitorIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "web.context_processors.cart_summary",
            ],
        },
    },
]

# The web process (uvicorn, config.asgi) runs Django's views on this many threads per worker
# process (config/http_threads.py); each thread holds at most one database connection while it
# serves a request, so keep it within DATABASE_POOL_MAX_SIZE. The views are CPU-bound: more
# threads than cores per process only wait on the interpreter's lock, and a request waiting for
# it after each query is slower for all (bench/bench_api.py reads WEB_THREADS); add processes
# (WEB_CONCURRENCY) for more at once, and threads where the process streams files itself.
WEB_THREADS = env.int("WEB_THREADS", default=2)

# Database: PostgreSQL through psycopg 3 when DATABASE_URL is set, else a SQLite file.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=True
):
    # A pool of connections per process (psycopg_pool), which every thread borrows from for a
    # request and gives back at its end. Under ASGI each request's synchronous code runs in a
    # thread of its own, so connections kept per thread (CONN_MAX_AGE) were left open by threads
    # that were gone, until PostgreSQL refused more clients. The pool keeps a process within
    # DATABASE_POOL_MAX_SIZE connections; a request that finds them all busy waits up to
    # DATABASE_POOL_TIMEOUT seconds. Off (DATABASE_POOL=false) behind an external pooler.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, and a statement run five times on a connection prepared
    # there, so the queries on every page (the learner's state, the session's account) are not
    # planned again each time. Turn off behind a pooler that cannot keep prepared statements
    # (PgBouncer in transaction mode).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and broker: Redis when REDIS_URL is set, else local memory and the filesystem broker.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="zhibo"),
            # A Redis that does not answer at all (rather than refusing) costs each request
            # at most this long before the page carries on without the cache.
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_TIMEOUT", default=1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Channels' layer carries the live rooms' messages between web processes: Redis (channels-redis)
# when REDIS_URL is set, so every process delivers what any other one sent; in memory on the
# embedded default, where one process serves everyone. Pub/sub rather than the list-based
# RedisChannelLayer: a room's message is published once and Redis fans it out to each process
# subscribed, instead of one list push per connection (docs/live-room.md).
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Live rooms (liveroom/): how many messages a joining viewer gets, how long a message may be, how
# many a learner may post in a window, and how often the like count is broadcast.
LIVEROOM_HISTORY = env.int("LIVEROOM_HISTORY", default=50)
LIVEROOM_MESSAGE_MAX_LENGTH = env.int("LIVEROOM_MESSAGE_MAX_LENGTH", default=200)
LIVEROOM_RATE_MESSAGES = env.int("LIVEROOM_RATE_MESSAGES", default=5)
LIVEROOM_RATE_SECONDS = env.int("LIVEROOM_RATE_SECONDS", default=10)
LIVEROOM_LIKE_INTERVAL_SECONDS = env.float("LIVEROOM_LIKE_INTERVAL_SECONDS", default=1.0)

# Sessions are read from the cache (Redis in production) and written through to the database.
SESSION_ENGINE = "accounts.sessions"  # cached_db that carries on without the cache

AUTH_USER_MODEL = "accounts.User"
# ModelBackend, with the signed-in account read from the cache (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.CachedModelBackend"]
# Every door that sets a password (both sign-ups, the admin's forms) checks these, with their
# messages in the learner's language (Django ships Chinese for its own).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "accounts.password_validation.CharacterVarietyValidator",
        "OPTIONS": {"min_unique": 5},
    },
]
# Sign-in limits (accounts/signin.py), on every door: sign-ins are counted per account and per
# client address in a window that opens with the first; past the limit they are refused until
# the window closes. A successful sign-in clears its account's count.
SIGNIN_WINDOW_SECONDS = env.int("SIGNIN_WINDOW_SECONDS", default=15 * 60)
SIGNIN_MAX_FAILURES_PER_ACCOUNT = env.int("SIGNIN_MAX_FAILURES_PER_ACCOUNT", default=5)
SIGNIN_MAX_FAILURES_PER_ADDRESS = env.int("SIGNIN_MAX_FAILURES_PER_ADDRESS", default=20)
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# The recommender's model artefacts (factors, which learner each row is, the training matrix of
# who did what) are private: a storage of their own, in every environment, in a folder that no URL
# serves (never under MEDIA_ROOT, which DEBUG and a production web server serve, nor the static
# files). Web processes and training workers must share it, as they shared the media before.
RECOMMENDER_ARTEFACTS_ROOT = Path(
    env.str("RECOMMENDER_ARTEFACTS_ROOT", default=str(VAR_DIR / "artefacts"))
).resolve()
for _served in (MEDIA_ROOT, STATIC_ROOT, *STATICFILES_DIRS):
    if RECOMMENDER_ARTEFACTS_ROOT.is_relative_to(Path(_served).resolve()):
        raise ImproperlyConfigured(
            f"RECOMMENDER_ARTEFACTS_ROOT ({RECOMMENDER_ARTEFACTS_ROOT}) is inside {_served}, "
            "which is served to anyone: put the model artefacts elsewhere."
        )
# Uploaded videos and what they are transcoded to (HLS playlists, segments, posters) are private
# too: a storage of its own outside every served folder; the site serves them only through
# signed, short-lived URLs (``web/views/media.py``; nginx: ``X-Accel-Redirect``, see
# platform/README.md). Web processes and the ``media`` workers must share it.
MEDIA_PRIVATE_ROOT = Path(
    env.str("MEDIA_PRIVATE_ROOT", default=str(VAR_DIR / "private-media"))
).resolve()
for _served in (MEDIA_ROOT, STATIC_ROOT, *STATICFILES_DIRS):
    if MEDIA_PRIVATE_ROOT.is_relative_to(Path(_served).resolve()):
        raise ImproperlyConfigured(
            f"MEDIA_PRIVATE_ROOT ({MEDIA_PRIVATE_ROOT}) is inside {_served}, "
            "which is served to anyone: put the private media elsewhere."
        )
MEDIA_UPLOAD_MAX_BYTES = env.int("MEDIA_UPLOAD_MAX_BYTES", default=4 * 1024**3)
MEDIA_MAX_DURATION_SECONDS = env.int("MEDIA_MAX_DURATION_SECONDS", default=3 * 60 * 60)
MEDIA_UPLOAD_CHUNK_BYTES = env.int("MEDIA_UPLOAD_CHUNK_BYTES", default=2 * 1024**2)
MEDIA_TRANSCODE_TIME_LIMIT = env.int("MEDIA_TRANSCODE_TIME_LIMIT", default=3 * 60 * 60)
MEDIA_SIGNED_URL_SECONDS = env.int("MEDIA_SIGNED_URL_SECONDS", default=2 * 60 * 60)
# In production nginx sends the segments: the site answers with ``X-Accel-Redirect`` to this
# internal location (empty: the site sends the files itself).
MEDIA_ACCEL_REDIRECT_PREFIX = env.str("MEDIA_ACCEL_REDIRECT_PREFIX", default="")
# The media folders with public uploads (covers, avatars); the rest (the recommender's artefacts)
# is never served. The site serves them itself in development, or with DJANGO_SERVE_MEDIA=true
# when no web server is in front of it (config/media.py; nginx: platform/nginx.conf).
MEDIA_PUBLIC_FOLDERS = ["covers/", "avatars/", "articles/"]  # never lessons/ (paid audio)
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=DEBUG)
# Live streams: an ingest server (nginx-rtmp, platform/nginx-rtmp.conf) or the demo broadcaster
# (manage.py live_broadcast) writes each stream's HLS into LIVE_ROOT/hls/<stream key>/, and replays
# recorded from them into LIVE_ROOT/replays/<session id>/; the site serves both by session
# (web/views/live.py), so the folder itself is never served and the key never shows in a URL.
# Publishers (OBS, a phone app) send RTMP to LIVE_INGEST_URL with their session's stream key.
LIVE_ROOT = Path(env.str("LIVE_ROOT", default=str(VAR_DIR / "live"))).resolve()
LIVE_INGEST_URL = env.str("LIVE_INGEST_URL", default="rtmp://127.0.0.1:1935/live")
LIVE_FRESH_SECONDS = env.int("LIVE_FRESH_SECONDS", default=6)  # a live playlist older is stalled
# A session still marked live whose playlist has not changed for this long (or that never had one,
# this long after its scheduled end) lost its publisher without a word: a periodic task ends it.
LIVE_ABANDONED_SECONDS = env.int("LIVE_ABANDONED_SECONDS", default=10 * 60)
LIVE_FFMPEG = env.str("LIVE_FFMPEG", default="")  # default: courses.ffmpeg.ffmpeg_exe()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    "artefacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": RECOMMENDER_ARTEFACTS_ROOT},
    },
    "media_private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_PRIVATE_ROOT},
    },
}

# Celery. Without REDIS_URL, kombu's filesystem transport carries the messages through folders
# under var/celery, so a worker and beat run on a machine with nothing installed but Python.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "recommendations.tasks.train_model": {"queue": "training"},
    "recommendations.tasks.train_tuned_model": {"queue": "training"},
    "courses.tasks.media_transcode_task": {"queue": "media"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# Redeliver only after the longest task could have finished (acks-late with Redis): a transcode
# (courses.tasks, its own limit) may run longer than the others.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    "visibility_timeout": max(CELERY_TASK_TIME_LIMIT, MEDIA_TRANSCODE_TIME_LIMIT + 120) + 600,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The REST API (api/v1): JWT for the apps, the session (with CSRF) for the site's own scripts,
# RFC 7807 problem details for every failure, cursor pagination, throttling per scope.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.v1.parsers.DepthLimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.v1.pagination.NewestFirstCursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.v1.throttles.AnonRateThrottle",
        "api.v1.throttles.UserRateThrottle",
        "api.v1.throttles.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "events": env.str("API_THROTTLE_EVENTS", default="60/minute"),
        "auth": env.str("API_THROTTLE_AUTH", default="20/minute"),
    },
    # Client addresses for the throttles, as config/addresses.py reads them.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "EXCEPTION_HANDLER": "api.v1.exceptions.problem_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "知播 Zhibo API",
    "DESCRIPTION": (
        "The versioned REST API of Zhibo for the mobile apps and the site's own scripts. "
        "Versioning, deprecation and authentication: see docs/api.md in the repository "
        "(URL-path versions; additive changes only within v1; `Deprecation` and `Sunset` "
        "headers at least six months before anything is removed). Every failure is an RFC 7807 "
        "problem (`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "LiveStatusEnum": "courses.models.LiveSession.Status",
        "LessonKindEnum": "courses.models.Lesson.Kind",
        "MessageKindEnum": "liveroom.models.Message.Kind",
        "ProductKindEnum": "courses.models.Product.Kind",
        "OrderStatusEnum": "commerce.models.Order.Status",
        "EventTypeEnum": "recommendations.models.Event.Type",
        "OrderItemTypeEnum": ["course", "product"],
        "SearchItemTypeEnum": ["course", "live", "video", "product"],
    },
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.v1.schema.add_problem_responses",
        "api.v1.schema.forbid_nul_in_request_strings",
    ],
}

# Content-Security-Policy on every response (django-csp): scripts, styles, fonts, images and
# requests from the site's own origin only; no inline script, no inline event handler, no inline
# style, no plugin, no framing. The pages keep their scripts and styles in static files; the few
# pages that need more (the API docs, whose bundles inject styles and a search worker) widen it
# in their own views (``api/urls.py``). Lesson and live videos may come from a video host:
# ``DJANGO_CSP_MEDIA_ORIGINS`` lists its origins (by default the demo catalog's fictional host
# outside production, none in production).
CSP_MEDIA_ORIGINS = env.list(
    "DJANGO_CSP_MEDIA_ORIGINS", default=[] if PRODUCTION else ["https://media.zhibo.local"]
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # hls.js feeds the video element from a MediaSource (a blob: URL) and parses in a worker
        "media-src": ["'self'", "blob:", *CSP_MEDIA_ORIGINS],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="知播 Zhibo <noreply@zhibo.local>"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# How much each kind of feedback says about a learner's interest: used to derive interest tags
# and to build the recommender's training matrix. A watch counts by the share watched, a rating
# (a course review's, recorded by the server) by (rating - 3), so a 1-star rating pulls away.
# "Not interested" is an exclusion, not a weight. A comment costs more effort than a like; a
# follow is about an instructor and is spread over their courses (recommendations/training/
# dataset.py). The social types' weights (follow, comment, like, share, question) are only the
# defaults: a tuning run chooses them on validation, among these times 0, 0.5, 1 and 2
# (recommendations/services/training.py, docs/ranking.md), within the budget below.
RECOMMENDER_EVENT_WEIGHTS = {
    "follow": 3.0,
    "comment": 2.0,  # on a short video, or a message in a live room
    "purchase": 5.0,
    "enroll": 4.0,
    "favourite": 3.0,
    "cart": 2.0,
    "reserve": 2.0,
    "watch": 2.0,
    "rating": 1.0,
    "like": 1.5,
    "share": 1.5,
    "question": 2.5,  # asked in a live room: engaged enough to ask
    "click": 1.0,
    "view": 0.5,
}
RECOMMENDER_HALF_LIFE_DAYS = env.float("RECOMMENDER_HALF_LIFE_DAYS", default=30.0)

# Training and promotion (see recommendations/services/training.py).
# Used until a tuning run (daily, and for a site's first model) has chosen better ones.
RECOMMENDER_ALS_PARAMS = env.json(
    "RECOMMENDER_ALS_PARAMS",
    default={"factors": 32, "regularization": 1.0, "alpha": 10.0, "iterations": 15},
)
RECOMMENDER_TUNE_FIRST_MODEL = env.bool("RECOMMENDER_TUNE_FIRST_MODEL", default=True)
# Model families a tuning run chooses from, per item type, on validation (see
# recommendations/engine/selection.py), and whether it may blend each with a popularity prior.
RECOMMENDER_FAMILIES = env.list(
    "RECOMMENDER_FAMILIES", default=["als", "ease", "rp3beta", "dae", "lightgcn"]
)
RECOMMENDER_POPULARITY_BLEND = env.bool("RECOMMENDER_POPULARITY_BLEND", default=True)
# How long a dead worker's training lock outlives it (past the task's own time limit).
RECOMMENDER_TRAINING_LOCK_SECONDS = env.int(
    "RECOMMENDER_TRAINING_LOCK_SECONDS", default=CELERY_TASK_TIME_LIMIT + 120
)
RECOMMENDER_TRAINING_WINDOW_DAYS = env.int("RECOMMENDER_TRAINING_WINDOW_DAYS", default=180)
RECOMMENDER_HOLDOUT_DAYS = env.float("RECOMMENDER_HOLDOUT_DAYS", default=7.0)
RECOMMENDER_TUNING_BUDGET_SECONDS = env.int("RECOMMENDER_TUNING_BUDGET_SECONDS", default=120)
RECOMMENDER_WEIGHT_BUDGET_SECONDS = env.int("RECOMMENDER_WEIGHT_BUDGET_SECONDS", default=60)
# A candidate is promoted unless its nDCG@10 is below the active model's by more than this share.
RECOMMENDER_PROMOTION_TOLERANCE = env.float("RECOMMENDER_PROMOTION_TOLERANCE", default=0.05)
RECOMMENDER_MIN_COVERAGE = 0.01
RECOMMENDER_KEEP_VERSIONS = 5
RECOMMENDER_TOP_N = 100

# Instructors' analytics (analytics/, docs/analytics.md): how often the rollups read new events
# and orders, and the differential privacy of every count of learners an instructor is shown:
# epsilon per release (one period's figures, once a day), the daily cap per instructor, and
# released counts below which a figure is shown as "fewer than N".
ANALYTICS_ROLLUP_SECONDS = env.int("ANALYTICS_ROLLUP_SECONDS", default=300)
ANALYTICS_DP_EPSILON = env.float("ANALYTICS_DP_EPSILON", default=0.5)
ANALYTICS_DP_DAILY_EPSILON = env.float("ANALYTICS_DP_DAILY_EPSILON", default=2.0)
ANALYTICS_DP_SUPPRESS_BELOW = env.int("ANALYTICS_DP_SUPPRESS_BELOW", default=5)

# Periodic tasks (Celery beat). Intervals in seconds, from the environment.
RECOMMENDER_RETRAIN_SECONDS = env.int("RECOMMENDER_RETRAIN_SECONDS", default=3600)
RECOMMENDER_TUNE_SECONDS = env.int("RECOMMENDER_TUNE_SECONDS", default=24 * 3600)
CELERY_BEAT_SCHEDULE = {
    "recommender-retrain": {
        "task": "recommendations.tasks.train_model",
        "schedule": float(RECOMMENDER_RETRAIN_SECONDS),
        "options": {"expires": RECOMMENDER_RETRAIN_SECONDS - 60},
    },
    "recommender-tune": {
        "task": "recommendations.tasks.train_tuned_model",
        "schedule": float(RECOMMENDER_TUNE_SECONDS),
        "options": {"expires": RECOMMENDER_TUNE_SECONDS - 60},
    },
    "recommender-interest-tags": {
        "task": "recommendations.tasks.derive_interest_tags",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "recommender-trending": {
        "task": "recommendations.tasks.refresh_trending",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    "recommender-cleanup": {
        "task": "recommendations.tasks.cleanup_model_artefacts",
        "schedule": 24 * 3600.0,
        "options": {"expires": 3600},
    },
    "courses-live-reminders": {
        "task": "commerce.tasks.live_reminders_send_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "courses-live-abandoned": {
        "task": "courses.tasks.live_sessions_abandoned_end_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "social-follower-reminders": {
        "task": "social.tasks.follower_reminders_send_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "analytics-rollup": {
        "task": "analytics.tasks.rollup",
        "schedule": float(ANALYTICS_ROLLUP_SECONDS),
        "options": {"expires": ANALYTICS_ROLLUP_SECONDS - 10},
    },
    "courses-orders-cancel-expired": {
        "task": "commerce.tasks.orders_cancel_expired",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}
