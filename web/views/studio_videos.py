"""The instructor's studio: their video files uploaded in chunks with a progress bar, processed on
the media queue, and given to their lessons and short videos, without the admin. The same
services as the admin's video files page (``courses.media``); each instructor sees only their own
files (``owned_by``)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from courses import media
from courses.models import MediaAsset
from courses.selectors import instructor_for
from web.forms import StudioAttachForm, StudioVideoForm


def _instructor(request):
    instructor = instructor_for(request.user)
    if instructor is None:
        raise PermissionDenied(_("Only instructors have a studio."))
    return instructor


def _own_asset(request, asset_id: int) -> MediaAsset:
    """The user's own file (any file for a superuser, as in the admin); 404 for the others."""
    return get_object_or_404(MediaAsset.objects.owned_by(request.user), pk=asset_id)


@login_required
@require_http_methods(["GET", "POST"])
def studio_videos(request):
    """The instructor's video files with their state, and a form to add one."""
    instructor = _instructor(request)
    form = StudioVideoForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = media.media_asset_create(
                instructor=instructor, title=form.cleaned_data["title"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("web:studio_video", asset.pk)
    assets = (
        MediaAsset.objects.owned_by(request.user)
        .prefetch_related("lessons", "short_videos")
        .order_by("-created_at", "-id")
    )
    return render(request, "studio/videos.html", {"assets": assets, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def studio_video(request, asset_id: int):
    """One file: its upload (resumable, with progress), its state or the reason it was
    refused, a preview once it plays, and the lessons and short videos that use it."""
    _instructor(request)
    asset = _own_asset(request, asset_id)
    form = StudioAttachForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        initial={"lessons": asset.lessons.all(), "short_videos": asset.short_videos.all()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            media.media_attach(
                asset=asset,
                lessons=form.cleaned_data["lessons"],
                short_videos=form.cleaned_data["short_videos"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The lessons and short videos now play this file."))
            return redirect("web:studio_video", asset.pk)
    return render(
        request,
        "studio/video.html",
        {
            "asset": asset,
            "form": form,
            "upload_open": asset.status in (MediaAsset.Status.UPLOADING, MediaAsset.Status.FAILED),
            "playback": media.media_playback(asset=asset, user=request.user, paid=True),
            "chunk_bytes": settings.MEDIA_UPLOAD_CHUNK_BYTES,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def studio_video_upload(request, asset_id: int):
    """The one address chunks go to, from the studio and from the admin's video file page.
    GET: how much the server holds. POST: one chunk, its place in ``Content-Range``; 409 with
    the size held when it is not the next one, 400 with the reason for a refused file."""
    asset = _own_asset(request, asset_id)
    if request.method == "POST":
        try:
            asset = media.media_upload_receive(
                asset=asset,
                content_range=request.headers.get("Content-Range", ""),
                data=request.body,
            )
        except media.UploadOffsetMismatch as mismatch:
            return JsonResponse({"received": mismatch.received}, status=409)
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse(media.media_upload_state(asset))
