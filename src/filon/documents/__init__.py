"""Documents that leave the system: PDFs rendered with WeasyPrint from Django templates
(`templates/documents/`) and Excel workbooks written with openpyxl.

`pdf` builds each document's HTML from the same reads and panels the pages use, then renders it with local
fonts and no network access; `excel` writes typed cells (numbers, dates) with formats. Access control is the
caller's: views fetch the objects through the scoped selectors, and `services.document_issued` writes the
audit record of every download.
"""
