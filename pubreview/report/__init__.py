"""The annual report (政府信息公开工作年度报告): written from the ledger, or audited as published.

Writing (`pubreview report YEAR`, the annual-report flow): build → rollup (the ledger's
figures) + supplement (what no ledger holds) → checks (table rules, every figure of the
office's text via claims/claim_checks against facts) → document (sections of the edition in
formats, sentences only from figures that exist) → render (Markdown, HTML, DOCX).

Auditing (`pubreview report audit FILE…`): reading (HTML, DOCX, PDF, text → paragraphs and
grids) → extract (Tables 二/三/四, the edition) → audit (the same table rules and claim checks).
"""
