"""The public site (the website channel): static pages rendered from the ledger."""

from pubreview.site.build import BuildSummary, build_site, default_out_dir, render_publication

__all__ = ["BuildSummary", "build_site", "default_out_dir", "render_publication"]
