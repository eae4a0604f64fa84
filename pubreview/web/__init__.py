"""The approvers' web pages: personal signed links, the review page, the personal queue."""
