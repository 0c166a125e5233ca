"""The home page's personalised short-video and live rails in a real browser (screenshots)."""

from playwright.sync_api import expect

from recommendations.services import training
from recommendations.services.events import event_record
from tests.browser.conftest import PHONE
from tests.browser.test_journeys import sign_in
from tests.factories import LiveSessionFactory, ShortVideoFactory, TagFactory, UserFactory
from tests.recommender.conftest import fast_training  # noqa: F401 (a fixture)
from tests.web.conftest import make_catalog


def test_a_learner_sees_videos_and_lives_picked_for_them(page, shot, fast_training):  # noqa: F811
    make_catalog(4)
    fans = {}
    for name in ("Python", "烹饪"):
        tag = TagFactory(name=name)
        videos = [ShortVideoFactory(title=f"{name} 技巧 {i}", tags=[tag]) for i in range(5)]
        lives = [LiveSessionFactory(title=f"{name} 直播课 {i}", tags=[tag]) for i in range(3)]
        fans[name] = [UserFactory() for _ in range(10)]
        for n, fan in enumerate(fans[name]):
            for j in range(3):
                video = videos[(n + j) % 5]
                event_record(user=fan, event_type="like", object_type="video", object_id=video.pk)
            live = lives[n % 3]
            event_record(user=fan, event_type="reserve", object_type="live", object_id=live.pk)
    assert training.model_train(force=True).status == "active"
    sign_in(page, fans["Python"][0])
    videos = page.locator("[data-section=recommended-videos]")
    expect(videos).to_contain_text("Python 技巧")
    expect(videos.locator(".reason").first).to_be_visible()
    expect(page.locator("[data-section=recommended-lives]")).to_contain_text("Python 直播课")
    videos.scroll_into_view_if_needed()
    shot(page, "home-rails-desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    page.locator("[data-section=recommended-videos]").scroll_into_view_if_needed()
    shot(page, "home-rails-phone")
