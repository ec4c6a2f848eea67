"""What readers and search engines get: Atom feeds, sitemap, robots.txt, archives, post navigation."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

BASE = "https://example.org/blog/"
POSTS = {
    "guides/one.md": "title: One\ndate: 2024-01-05\ntags: [python, tips]\nexcerpt: First.",
    "guides/two.md": "title: Two\ndate: 2024-03-01\ntags: [python]\ncoverImage: /img/c.png",
    "notes/three.md": "title: Three & <Four>\ndate: 2023-06-01\ntags: [tips]",
    "notes/draft.md": "title: Secret draft\ndate: 2024-02-01\ndraft: true",
    "notes/later.md": "title: From the future\ndate: 2999-01-01",
}


def build(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(root), "--execute", "off", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def feed_site(tmp_path: Path) -> Path:
    (tmp_path / "nbpress.toml").write_text(f'title = "Feeds"\nauthor = "Ada"\nbase_url = "{BASE}"\nsearch = false\n')
    for rel, front in POSTS.items():
        path = tmp_path / "notebooks" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{front}\n---\nSome *text* with a [link](/posts/one/) and ![img](pic.png).\n")
    for folder in ("guides", "notes"):  # the image each post names, beside it
        (tmp_path / "notebooks" / folder / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "notebooks" / "img").mkdir()
    (tmp_path / "notebooks" / "img" / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return tmp_path


def test_site_and_category_feeds_parse_with_absolute_urls(feed_site: Path) -> None:
    build(feed_site)
    out = feed_site / "output"
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["Two", "One", "Three & <Four>"]  # no draft, no future post
    assert feed.entries[0].link == BASE + "posts/two/"
    assert feed.feed.updated.startswith("2024-03-01")  # the newest post's date, not the clock
    content = feed.entries[0].content[0].value
    assert f'href="{BASE}posts/one/"' in content and f'src="{BASE}guides/pic.png"' in content
    guides = feedparser.parse((out / "categories" / "guides" / "feed.xml").read_bytes())
    assert not guides.bozo
    assert [e.title for e in guides.entries] == ["Two", "One"]
    head = (out / "index.html").read_text()
    assert 'type="application/atom+xml"' in head and '/blog/feed.xml"' in head


def test_feed_summaries_only_when_full_content_is_off(feed_site: Path) -> None:
    (feed_site / "nbpress.toml").write_text(f'title = "Feeds"\nbase_url = "{BASE}"\nfeed_full_content = false\n')
    build(feed_site)
    feed = feedparser.parse((feed_site / "output" / "feed.xml").read_bytes())
    assert not feed.bozo
    assert "content" not in feed.entries[0]
    assert feed.entries[1].summary == "First."


def test_sitemap_and_robots(feed_site: Path) -> None:
    build(feed_site)
    out = feed_site / "output"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text or "" for e in ET.parse(out / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    assert BASE in locs and BASE + "posts/two/" in locs and BASE + "categories/guides/" in locs
    assert BASE + "archive/2024/" in locs and BASE + "tags/python/" in locs
    assert all(loc.startswith(BASE) for loc in locs)
    for loc in locs:  # every URL is a page that exists
        rel = loc[len(BASE):]
        assert (out / rel / "index.html").is_file(), loc  # every URL in the sitemap is a page
    assert not any("draft" in loc or "later" in loc for loc in locs)
    assert f"Sitemap: {BASE}sitemap.xml" in (out / "robots.txt").read_text()


def test_drafts_only_with_the_flag_and_never_in_feeds(feed_site: Path) -> None:
    build(feed_site)
    out = feed_site / "output"
    assert not (out / "posts" / "draft").exists() and not (out / "posts" / "later").exists()
    build(feed_site, "--drafts")
    assert (out / "posts" / "draft" / "index.html").is_file()
    assert (out / "posts" / "later" / "index.html").is_file()
    assert "Secret draft" not in (out / "feed.xml").read_text()
    assert "From the future" not in (out / "sitemap.xml").read_text()


def test_archives_navigation_related_and_canonical(feed_site: Path) -> None:
    build(feed_site)
    out = feed_site / "output"
    assert "One" in (out / "archive" / "2024" / "index.html").read_text()
    assert "Three &amp; &lt;Four&gt;" in (out / "archive" / "2023" / "index.html").read_text()
    assert "Three" not in (out / "archive" / "2024" / "index.html").read_text()
    one = (out / "posts" / "one" / "index.html").read_text()
    assert 'rel="next" href="/blog/posts/two/"' in one
    assert 'rel="prev" href="/blog/posts/three/"' in one
    assert "Related posts" in one and "/blog/posts/two/" in one.split("Related posts")[1]
    assert f'<link rel="canonical" href="{BASE}posts/one/">' in one
    assert f'<meta property="og:image" content="{BASE}img/c.png">' in (out / "posts" / "two" / "index.html").read_text()
    assert '<meta name="twitter:card"' in one


def test_search_index_is_built_and_kept_current(feed_site: Path) -> None:
    from nbpress.build import build as run_build
    from nbpress.config import load_settings

    (feed_site / "nbpress.toml").write_text('title = "Feeds"\n')
    settings, _ = load_settings(feed_site, {"execute": "off"})
    run_build(settings)
    entry = feed_site / "output" / "pagefind" / "0" / "pagefind-entry.json"
    assert '"page_count":3' in entry.read_text().replace(" ", "")  # the three published posts
    # A rebuild that skips the index (as `nbpress serve` does at first) leaves its shard stale; the next
    # build mends it.
    (feed_site / "notebooks" / "guides" / "new.md").write_text("---\ntitle: New\ndate: 2024-04-01\n---\nNew.\n")
    run_build(settings, search_index=False)
    assert '"page_count":3' in entry.read_text().replace(" ", "")
    result = run_build(settings)
    assert not result.unchanged
    assert '"page_count":4' in entry.read_text().replace(" ", "")
    assert run_build(settings).unchanged
