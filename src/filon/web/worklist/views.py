"""«Mis pendientes» (the landing page after login), the regional manager's office queue by analyst, and the
in-app notices, marked read one by one or all at once."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from filon.core.calendar import today_mx
from filon.web.http import is_htmx, web_view
from filon.worklist.selectors import notices_for_user, office_queue, pending_items
from filon.worklist.services import notice_read, notices_read_all

PAGE_SIZE = 50


@web_view()
def pending(request: HttpRequest) -> HttpResponse:
    today = today_mx()
    items = pending_items(request.user, today)
    return render(
        request,
        "web/worklist/pending.html",
        {
            "items": items,
            "overdue": sum(1 for item in items if item.overdue),
            "office": office_queue(request.user, today),
            "today": today,
        },
    )


@web_view()
def notices(request: HttpRequest) -> HttpResponse:
    page = Paginator(notices_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(request, "web/worklist/notices.html", {"page": page})


@web_view(("POST",))
def notice_read_view(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notice_read(user=request.user, notice_id=pk)
    if is_htmx(request):
        return render(request, "web/worklist/_notice.html", {"notice": notice})
    return redirect("web:notices")


@web_view(("POST",))
def notices_read_all_view(request: HttpRequest) -> HttpResponse:
    count = notices_read_all(user=request.user)
    messages.success(
        request,
        f"{count} aviso{'s' if count != 1 else ''} marcado{'s' if count != 1 else ''} como leído{'s' if count != 1 else ''}.",
    )
    return redirect("web:notices")
