"""Filters of the fiscal templates: an access key as the DANFE prints it."""

from django import template

from fiscal.danfe import printed_key

register = template.Library()
register.filter("access_key", printed_key)  # 3526 1212 3456 … (easier to read out and type)
