"""The home page's short-video and live rails, personalised by the model chosen for each type."""

import pytest
from django.urls import reverse

from recommendations.services import training
from recommendations.services.events import event_record
from recommendations.services.profiles import personalization_set
from tests.factories import LiveSessionFactory, ShortVideoFactory

pytestmark = pytest.mark.django_db
HOME = reverse("web:home")


@pytest.fixture
def media_world(world):
    """Python fans watch Python videos and reserve Python lives; cooking fans the same for
    cooking. Each fan leaves one of their topic's videos and lives unseen."""
    topics = {}
    for tag, fans in (
        (world.python_tag, world.python_fans),
        (world.cooking_tag, world.cooking_fans),
    ):
        videos = [ShortVideoFactory(title=f"{tag.name} 短视频 {i}", tags=[tag]) for i in range(4)]
        lives = [LiveSessionFactory(title=f"{tag.name} 直播 {i}", tags=[tag]) for i in range(3)]
        for n, fan in enumerate(fans):
            for j in range(3):
                video = videos[(n + j) % 4]
                event_record(user=fan, event_type="like", object_type="video", object_id=video.pk)
            for j in range(2):
                live = lives[(n + j) % 3]
                event_record(user=fan, event_type="reserve", object_type="live", object_id=live.pk)
        topics[tag.name] = (videos, lives)
    return world, topics


def _section(page: str, name: str) -> str:
    start = page.find(f'data-section="{name}"')
    return "" if start < 0 else page[start : page.find("</section>", start)]


def test_a_learner_gets_videos_and_lives_of_their_taste_with_reasons(
    client, media_world, fast_training
):
    world, _ = media_world
    assert training.model_train(force=True).status == "active"
    fan = world.python_fans[0]
    client.force_login(fan)
    page = client.get(HOME).content.decode()
    videos = _section(page, "recommended-videos")
    lives = _section(page, "recommended-lives")
    assert videos and lives
    assert "Python 短视频" in videos and "烹饪 短视频" not in videos.split("</a>")[0]
    assert "Python 直播" in lives
    assert videos.count('class="reason small"') >= 1 and lives.count('class="reason small"') >= 1
    assert "热门短视频" in page  # the shared trending rail stays


def test_with_personalisation_off_the_rails_are_not_personalised(
    client, media_world, fast_training
):
    world, _ = media_world
    training.model_train(force=True)
    fan = world.python_fans[0]
    personalization_set(user=fan, enabled=False)
    client.force_login(fan)
    page = client.get(HOME).content.decode()
    assert not _section(page, "recommended-videos")
    assert not _section(page, "recommended-lives")
    assert "热门短视频" in page


def test_without_a_model_the_home_page_falls_back_to_trending(client, media_world):
    world, _ = media_world
    client.force_login(world.python_fans[0])
    page = client.get(HOME).content.decode()
    assert not _section(page, "recommended-videos")
    assert not _section(page, "recommended-lives")
    assert "热门短视频" in page and "即将开播" in page


def test_the_video_feed_starts_with_the_learners_picks_and_their_reasons(
    client, media_world, fast_training
):
    world, topics = media_world
    training.model_train(force=True)
    newest_first = [v.title for v in client.get(reverse("web:videos")).context["videos"]]
    fan = world.python_fans[0]
    client.force_login(fan)
    response = client.get(reverse("web:videos"))
    feed = response.context["videos"]
    assert feed[0].title.startswith("Python") and feed[0].reason
    assert [v.title for v in feed] != newest_first
    assert response.content.decode().count('class="reason"') >= 1
    assert len(feed) == len({v.pk for v in feed})  # every video once
    personalization_set(user=fan, enabled=False)
    feed = client.get(reverse("web:videos")).context["videos"]
    assert [v.title for v in feed] == newest_first and not feed[0].reason
    python_videos, _ = topics["Python"]
    start = python_videos[0]
    assert client.get(reverse("web:videos"), {"v": start.slug}).context["videos"][0] == start
