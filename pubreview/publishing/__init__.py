"""Publishing (中心发布): where items went, hand-published channels, retraction, media adoption.

`record` (what went out where, publish times) is re-exported here; `catalog`, `channels`,
`retraction` and `adoption` are imported by name.
"""

from pubreview.publishing.record import (
    OFFICE_TIMEZONE,
    article_url,
    local_now,
    publish_at,
    publish_due,
    published_channels,
    record_channels,
    record_published,
    scheduled_approval,
    site_base_url,
)

__all__ = [
    "OFFICE_TIMEZONE",
    "article_url",
    "local_now",
    "publish_at",
    "publish_due",
    "published_channels",
    "record_channels",
    "record_published",
    "scheduled_approval",
    "site_base_url",
]
