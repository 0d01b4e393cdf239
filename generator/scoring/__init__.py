"""Lead scoring: the playbook's definitions compiled to one SQL query (compile) and run by DuckDB
on lead records (run)."""
