"""Form rendering shared by every app: Bootstrap classes and our field template."""

from django import forms
from django.forms.renderers import TemplatesSetting


class CrisisDeskFormRenderer(TemplatesSetting):
    """Every `{{ field.as_field_group }}` renders through one template, with the error
    next to the field and linked to it with aria-describedby."""

    field_template_name = "forms/field.html"


class BootstrapFormMixin:
    """Adds Bootstrap 5 classes to widgets, so templates stay free of per-field markup."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker, in the minute precision staff type."""

    input_type = "datetime-local"
    input_formats = ["%Y-%m-%dT%H:%M"]

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")
