"""Bulk import of historical tickets (CSV/XLSX with a column-mapping file, all-or-nothing, with a dry
run that reports every bad row) and export of any filtered ticket list (CSV/XLSX)."""
