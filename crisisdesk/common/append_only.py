"""Models whose rows are only ever inserted: the audit log and the status timeline.

Both the instance (`save` of an existing row, `delete`) and the queryset (`update`,
`delete`) refuse to change history, each raising the model's own exception so that
callers and tests can tell which invariant they hit. Bulk inserts stay allowed.
"""

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise self.model.append_only_error(f"{self.model._meta.verbose_name_plural} cannot be updated")

    def delete(self):
        raise self.model.append_only_error(f"{self.model._meta.verbose_name_plural} cannot be deleted")


class AppendOnlyModel(models.Model):
    append_only_error: type[Exception] = Exception

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.append_only_error(f"{self._meta.verbose_name_plural} cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_error(f"{self._meta.verbose_name_plural} cannot be deleted")
