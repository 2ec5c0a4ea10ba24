"""template.yaml as data, so tests build exactly the infrastructure that deploys."""

from local_stack.template import TEMPLATE_PATH, create_table, load_template, resources_of_type

__all__ = ["TEMPLATE_PATH", "create_table", "load_template", "resources_of_type"]
