"""Spreadsheet exports of the lists and ledgers (导出 Excel).

Every export is an xlsx written in openpyxl's write-only mode from the list's own query, row by
row, so memory stays flat whatever the size. A small export (at most ``EXPORT_INLINE_ROWS`` rows)
streams straight back to the request; a bigger one becomes an ``Export`` record and an RQ job
on the ``reports`` queue that reports its progress and keeps the file sealed (SM4-GCM) in the
database until it expires (``EXPORT_KEEP_DAYS``), when a periodic job drops it.

Who may do what:
- exporting a list needs the Action that reading the list needs at the acting unit
  (``registry.Exporter.action``);
- an export, its progress and its file belong to the unit and to the account that asked for it:
  only that account, acting at that unit and still holding the list's Action, sees or downloads it.
  Not the unit's leaders either: each of them can export the same list themselves, and a file
  made for one person is not passed around by the platform.

No export carries an informant's identity: the exporters' columns name none, and the petition
ledger does not even read the encrypted columns.
"""
