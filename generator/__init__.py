"""playbook: a sales & marketing alignment playbook kept as YAML, checked and published."""

__version__ = "0.1.0"
