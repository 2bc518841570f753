"""PDF renditions of the official documents (打印版): every Word document the platform issues (澄清通知书,
督办单, 整改交办单, 通报 …) can also be downloaded as a PDF, so that offices print the same page everywhere.

The shared floor offers the mechanism; each area that issues a document keeps its own route to it (it knows the
record and who may read it) and hands the Word bytes here (``serve.pdf_download``). The PDF is converted by
LibreOffice in headless mode (``soffice --convert-to pdf``) in a job (core.jobs), never in the request, and kept
sealed (core.crypto, SM4-GCM) in ``document_renditions``, keyed by the document (kind and record) and the SM3
digest of its Word bytes: an unchanged document is converted once, a changed one again. A machine without the
converter says so on the page (the rendition fails with that reason), never with an error page.
"""
