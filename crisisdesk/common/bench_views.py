"""The benchmark ceiling: a view that does exactly one INSERT.

Mounted under /bench/ only when settings.CRISISDESK_BENCH_ENDPOINTS is on (never in
production). It goes through the full middleware stack, CSRF included, so that the
difference to the public registration is the registration's own work.
See bench/registration_throughput.py and docs/benchmarks.md.
"""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from crisisdesk.common.models import BenchRow

NOTE_MAX_LENGTH = 100


@never_cache
@require_POST
def insert(request):
    """POST note=<text>: one INSERT, then 204 No Content."""
    BenchRow.objects.create(note=request.POST.get("note", "")[:NOTE_MAX_LENGTH])
    return HttpResponse(status=204)
