"""Needs on the portal: the officers' guided form and dashboard, staff screening, public pages.

Every need is looked up through `selectors.need_get_for_user`, so a need the user may not see
is a 404; an action the user may not take on a need they see is a 403.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from catalog.models.entries import CONTENT_LANGUAGES
from exchange.errors import ApplicationError
from matching import selectors, services
from matching.forms import (
    MatchCompleteForm,
    MatchDeclineForm,
    MatchStepForm,
    MatchWithdrawForm,
    NeedCloseForm,
    NeedScreeningForm,
    NeedSupportForm,
    NeedWhatForm,
    NeedWhereForm,
)
from matching.models import Match, Need
from matching.tagging import suggest_tags


@dataclass(frozen=True)
class Step:
    slug: str
    title: StrOrPromise


STEPS = [
    Step("what", gettext_lazy("What is needed")),
    Step("where", gettext_lazy("Countries, themes and SDG targets")),
    Step("support", gettext_lazy("Support, priority and origin")),
    Step("review", gettext_lazy("Review and submit")),
]
STEP_SLUGS = [step.slug for step in STEPS]


def _need_or_404(request: HttpRequest, pk: int) -> Need:
    need = selectors.need_get_for_user(user=request.user, pk=pk)
    if need is None or not request.user.has_perm("needs.view", need):
        raise Http404(_("No need with this number that you can see."))
    return need


def _after_save(request: HttpRequest, need: Need, step: str) -> HttpResponse:
    """ "Save and continue" goes to the next step; "Save as draft" leaves the form."""
    if request.POST.get("action") == "draft":
        messages.success(request, _("Draft saved. You can come back to it at any time."))
        if request.user.is_officer:  # type: ignore[union-attr]
            return redirect("matching:my_needs")
        return redirect("matching:need_detail", pk=need.pk)
    next_step = STEP_SLUGS[STEP_SLUGS.index(step) + 1]
    return redirect(_step_url(need, next_step))


def _step_url(need: Need, step: str) -> str:
    if step == "review":
        return reverse("matching:need_review", kwargs={"pk": need.pk})
    return reverse("matching:need_step", kwargs={"pk": need.pk, "step": step})


def _render_step(
    request: HttpRequest, step: str, form: Any, need: Need | None, **extra: Any
) -> HttpResponse:
    return render(
        request,
        f"matching/need_step_{step}.html",
        {
            "steps": STEPS,
            "current": step,
            "step_number": STEP_SLUGS.index(step) + 1,
            "form": form,
            "need": need,
            **extra,
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


def _show_error(form: Any, exc: ApplicationError) -> None:
    form.add_error(None, exc.message)


# Public


def need_list(request: HttpRequest) -> HttpResponse:
    page_obj = Paginator(selectors.needs_public(), selectors.LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "matching/need_list.html", {"page_obj": page_obj})


def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need_or_404(request, pk)
    user = request.user
    can_see_reviews = user.has_perm("needs.view_reviews", need)
    matches = selectors.need_matches(need=need, user=user)
    can_follow = user.has_perm("needs.matches", need)
    return render(
        request,
        "matching/need_detail.html",
        {
            "need": need,
            "reviews": need.reviews.all() if can_see_reviews else [],
            "can_see_reviews": can_see_reviews,
            "can_edit": need.is_draft and user.has_perm("needs.edit", need),
            "can_screen": user.has_perm("needs.screen", need),
            "history": selectors.need_history(need=need)
            if user.has_perm("needs.view_history", need)
            else None,
            "close_form": NeedCloseForm(),
            "show_matches": can_follow or bool(matches),
            "can_refresh": can_follow and need.status in services.MATCHABLE,
            "suggested_cards": [_match_card(user, match) for match in matches.suggested],
            "followed_cards": [
                _match_card(user, match, steps=matches.steps.get(match.pk, []))
                for match in matches.followed
            ],
        },
    )


# Officers: dashboard and the guided form


@login_required
def my_needs(request: HttpRequest) -> HttpResponse:
    office = request.user.regional_office  # type: ignore[union-attr]
    if office is None or not request.user.is_active:
        raise PermissionDenied(_("“My needs” is for officers of a regional office."))
    groups = selectors.needs_of_office_by_status(office=office)
    return render(
        request,
        "matching/my_needs.html",
        {"office": office, "groups": groups, "total": sum(g.count for g in groups)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("needs.create"):
        raise PermissionDenied(_("Only officers of a regional office and staff register needs."))
    choose_office = user.regional_office_id is None  # type: ignore[union-attr]
    if request.method == "POST":
        form = NeedWhatForm(request.POST, choose_office=choose_office)
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = services.need_create_draft(
                    by=user,  # type: ignore[arg-type]
                    title=data["title"],
                    description=data["description"],
                    language=data["language"],
                    regional_office=data.get("regional_office"),
                    creation_token=data["creation_token"],
                )
            except ApplicationError as exc:
                _show_error(form, exc)
            else:
                return _after_save(request, need, "what")
    else:
        # The officer's language when needs can be written in it, English otherwise.
        language = (user.preferred_language or "en").split("-")[0]  # type: ignore[union-attr]
        form = NeedWhatForm(
            initial={
                "creation_token": uuid.uuid4(),
                "language": language if language in dict(CONTENT_LANGUAGES) else "en",
            },
            choose_office=choose_office,
        )
    return _render_step(request, "what", form, None)


def _need_to_edit(request: HttpRequest, pk: int) -> Need | HttpResponse:
    """The draft to edit; for the people who answer for a need that is no longer a draft (a
    second click on "submit"), its page with a message; 403 for anyone else."""
    need = _need_or_404(request, pk)
    if not need.is_draft and request.user.has_perm("needs.view_reviews", need):
        messages.warning(
            request,
            _("This need is %(status)s: only drafts can be changed.")
            % {"status": need.get_status_display().lower()},
        )
        return redirect("matching:need_detail", pk=need.pk)
    if not request.user.has_perm("needs.edit", need):
        raise PermissionDenied(_("You cannot change this need."))
    return need


@login_required
@require_http_methods(["GET", "POST"])
def need_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in ("what", "where", "support"):
        raise Http404(_("No such step."))
    need = _need_to_edit(request, pk)
    if isinstance(need, HttpResponse):
        return need
    return {"what": _step_what, "where": _step_where, "support": _step_support}[step](request, need)


def _step_what(request: HttpRequest, need: Need) -> HttpResponse:
    form = NeedWhatForm(
        request.POST or None,
        initial={"title": need.title, "description": need.description, "language": need.language},
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.need_update(
                need=need,
                by=request.user,  # type: ignore[arg-type]
                title=data["title"],
                description=data["description"],
                language=data["language"],
            )
        except ApplicationError as exc:
            _show_error(form, exc)
        else:
            return _after_save(request, need, "what")
    return _render_step(request, "what", form, need)


def _step_where(request: HttpRequest, need: Need) -> HttpResponse:
    suggestions = suggest_tags(f"{need.title}\n{need.description}", need.language)
    chosen_targets = list(need.sdg_targets.all())
    form = NeedWhereForm(
        request.POST or None,
        office=need.regional_office,
        suggested_targets=suggestions.targets,
        suggested_themes=suggestions.themes,
        chosen_targets=chosen_targets,
        initial={
            "countries": [c.pk for c in need.countries.all()],
            "themes": [t.pk for t in need.themes.all()],
            "sdg_targets": [t.pk for t in chosen_targets],
        },
    )
    if form.is_bound and form.is_valid():
        try:
            services.need_update(
                need=need,
                by=request.user,  # type: ignore[arg-type]
                countries=form.cleaned_data["countries"],
                themes=form.cleaned_data["themes"],
                sdg_targets=form.chosen_targets(),
            )
        except ApplicationError as exc:
            _show_error(form, exc)
        else:
            return _after_save(request, need, "where")
    return _render_step(request, "where", form, need, suggestions=suggestions)


def _step_support(request: HttpRequest, need: Need) -> HttpResponse:
    form = NeedSupportForm(
        request.POST or None,
        initial={
            "support_kinds": [s.pk for s in need.support_kinds.all()],
            "priority": need.priority,
            "time_frame": need.time_frame,
            "needed_by": need.needed_by,
            "origin": need.origin,
            "origin_reference": need.origin_reference,
        },
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.need_update(
                need=need,
                by=request.user,  # type: ignore[arg-type]
                support_kinds=data["support_kinds"],
                priority=data["priority"],
                time_frame=data["time_frame"],
                needed_by=data["needed_by"],
                origin=data["origin"],
                origin_reference=data["origin_reference"],
            )
        except ApplicationError as exc:
            _show_error(form, exc)
        else:
            return _after_save(request, need, "support")
    return _render_step(request, "support", form, need)


@login_required
@require_http_methods(["GET", "POST"])
def need_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 4: everything on one page, and the submit button."""
    need = _need_to_edit(request, pk)
    if isinstance(need, HttpResponse):
        return need
    missing = selectors.need_missing_for_submission(need=need)
    error = ""
    if request.method == "POST":
        if not request.user.has_perm("needs.submit", need):
            raise PermissionDenied(_("You cannot submit this need."))
        try:
            services.need_submit(need=need, by=request.user)  # type: ignore[arg-type]
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(
                request, _("Need submitted. Programme staff will screen it and tell you.")
            )
            return redirect("matching:need_detail", pk=need.pk)
    latest_return = need.reviews.filter(decision="returned").first()
    return render(
        request,
        "matching/need_review.html",
        {
            "steps": STEPS,
            "current": "review",
            "step_number": 4,
            "need": need,
            "missing": missing,
            "error": error,
            "latest_return": latest_return,
        },
        status=400 if error else 200,
    )


# Programme staff: screening, opening and closing


def _require_screen(request: HttpRequest, need: Need | None = None) -> None:
    if not request.user.has_perm("needs.screen", need):
        raise PermissionDenied(_("Only programme staff screen needs."))


@login_required
def screening_list(request: HttpRequest) -> HttpResponse:
    _require_screen(request)
    return render(
        request, "matching/screening_list.html", {"needs": selectors.needs_for_screening()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_screen(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need_or_404(request, pk)
    _require_screen(request, need)
    if need.status != Need.Status.SUBMITTED:
        messages.warning(
            request,
            _("This need is %(status)s: only submitted needs are screened.")
            % {"status": need.get_status_display().lower()},
        )
        return redirect("matching:need_detail", pk=need.pk)
    form = NeedScreeningForm(request.POST or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        criteria = {
            "fits_national_priorities": data["fits_national_priorities"],
            "ldc_sids_priority": data["ldc_sids_priority"],
            "is_clear": data["is_clear"],
        }
        try:
            if data["decision"] == NeedScreeningForm.RETURN:
                services.need_return(
                    need=need,
                    by=request.user,  # type: ignore[arg-type]
                    comment=data["comment"],
                    **criteria,
                )
                messages.success(request, _("Need returned to the regional office."))
            else:
                services.need_validate(
                    need=need,
                    by=request.user,  # type: ignore[arg-type]
                    comment=data["comment"],
                    **criteria,
                )
                messages.success(request, _("Need validated."))
        except ApplicationError as exc:
            _show_error(form, exc)
        else:
            return redirect("matching:screening_list")
    return render(
        request,
        "matching/need_screen.html",
        {"need": need, "form": form, "reviews": need.reviews.all()},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def need_open(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need_or_404(request, pk)
    _require_screen(request, need)
    try:
        services.need_open(need=need, by=request.user)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Need opened to matching: it is now public."))
    return redirect("matching:need_detail", pk=need.pk)


@login_required
@require_http_methods(["GET", "POST"])
def need_close(request: HttpRequest, pk: int) -> HttpResponse:
    need = _need_or_404(request, pk)
    _require_screen(request, need)
    form = NeedCloseForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            services.need_close(
                need=need,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Need closed."))
        return redirect("matching:need_detail", pk=need.pk)
    return render(
        request,
        "matching/need_close.html",
        {"need": need, "form": form},
        status=400 if form.is_bound else 200,
    )


# Matches: the steps people take on the need's page (the rules are in matching/services.py).


@dataclass(frozen=True)
class MatchAction:
    slug: str
    to: str
    label: StrOrPromise
    done: StrOrPromise
    form: type[MatchStepForm]
    run: Callable[..., Match]


MATCH_ACTIONS = {
    action.slug: action
    for action in (
        MatchAction(
            "shortlist",
            Match.Status.SHORTLISTED,
            gettext_lazy("Shortlist"),
            gettext_lazy("Match shortlisted."),
            MatchStepForm,
            services.match_shortlist,
        ),
        MatchAction(
            "contact",
            Match.Status.CONTACTED,
            gettext_lazy("Mark contacted"),
            gettext_lazy("Match marked as contacted."),
            MatchStepForm,
            services.match_mark_contacted,
        ),
        MatchAction(
            "agree",
            Match.Status.AGREED,
            gettext_lazy("Agree"),
            gettext_lazy("Match agreed: the need is matched."),
            MatchStepForm,
            services.match_agree,
        ),
        MatchAction(
            "start",
            Match.Status.IN_IMPLEMENTATION,
            gettext_lazy("Start implementation"),
            gettext_lazy("Implementation started."),
            MatchStepForm,
            services.match_start_implementation,
        ),
        MatchAction(
            "complete",
            Match.Status.COMPLETED,
            gettext_lazy("Complete"),
            gettext_lazy("Match completed, with its outcome."),
            MatchCompleteForm,
            services.match_complete,
        ),
        MatchAction(
            "decline",
            Match.Status.DECLINED,
            gettext_lazy("Decline"),
            gettext_lazy("Match declined."),
            MatchDeclineForm,
            services.match_decline,
        ),
        MatchAction(
            "withdraw",
            Match.Status.WITHDRAWN,
            gettext_lazy("Withdraw"),
            gettext_lazy("Match withdrawn."),
            MatchWithdrawForm,
            services.match_withdraw,
        ),
    )
}


@dataclass
class MatchCard:
    """A match as its page shows it: the steps the user may take now, as plain buttons or
    as small forms (decline, complete, withdraw ask for more)."""

    match: Match
    buttons: list[MatchAction] = field(default_factory=list)
    forms: list[tuple[MatchAction, Any]] = field(default_factory=list)
    steps: list[selectors.MatchStep] = field(default_factory=list)


def _match_card(
    user: Any, match: Match, *, steps: list[selectors.MatchStep] | None = None
) -> MatchCard:
    card = MatchCard(match=match, steps=steps or [])
    for action in MATCH_ACTIONS.values():
        if action.to not in services.TRANSITIONS[match.status]:
            continue
        if not user.has_perm(services.STEP_PERMISSION[action.to], match):
            continue
        if action.form is MatchStepForm:
            card.buttons.append(action)
        else:
            form = action.form(
                initial={"version": match.version}, auto_id=f"match-{match.pk}-{action.slug}-%s"
            )
            card.forms.append((action, form))
    return card


def _need_page(need: Need, match: Match | None = None) -> str:
    url = reverse("matching:need_detail", kwargs={"pk": need.pk})
    return f"{url}#match-{match.pk}" if match is not None else f"{url}#matches"


@login_required
@require_POST
def match_step(request: HttpRequest, pk: int, match_pk: int, step: str) -> HttpResponse:
    """One step of a match, posted with the version the person saw. A step refused by the
    rules (changed meanwhile, not allowed from its status) returns to the need's page with
    the reason; a form with missing answers is shown again with its errors."""
    action = MATCH_ACTIONS.get(step)
    if action is None:
        raise Http404(_("No such step."))
    match = selectors.match_get_for_user(user=request.user, need_pk=pk, pk=match_pk)
    if match is None:
        raise Http404(_("No match with this number that you can see."))
    if not request.user.has_perm(services.STEP_PERMISSION[action.to], match):
        raise PermissionDenied(_("You cannot take this step on this match."))
    form = action.form(request.POST, auto_id=f"match-{match.pk}-{action.slug}-%s")
    if form.is_valid():
        try:
            action.run(match=match, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            fields = exc.extra.get("fields", {})
            if not any(name in form.fields for name in fields):
                messages.error(request, exc.message)
                return redirect(_need_page(match.need, match))
            form.add_error(None, exc.message)
        else:
            messages.success(request, str(action.done))
            return redirect(_need_page(match.need, match))
    return render(
        request,
        "matching/match_step.html",
        {"match": match, "need": match.need, "action": action, "form": form},
        status=400,
    )


@login_required
@require_POST
def need_matches_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """Rank the catalogue for the need again now, rather than wait for the next change."""
    need = _need_or_404(request, pk)
    if not request.user.has_perm("needs.matches", need):
        raise PermissionDenied(
            _("Only programme staff and the need's officers refresh its matches.")
        )
    if need.status not in services.MATCHABLE:
        messages.error(request, _("Only open and matched needs get suggestions."))
        return redirect(_need_page(need))
    result = services.need_suggestions_refresh(need=need)
    messages.success(
        request,
        _("Suggestions refreshed: %(created)d new, %(updated)d updated, %(deleted)d removed.")
        % {"created": result.created, "updated": result.updated, "deleted": result.deleted},
    )
    for note in result.notes:
        messages.info(request, note)
    return redirect(_need_page(need))
