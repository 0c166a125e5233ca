"""Model artefacts move out of the media, which is served to anyone, into their own storage.

Versions trained before kept their files under ``recommender/v<id>/`` of the default storage
(``MEDIA_ROOT``); the same path in the private ``artefacts`` storage is where they are read from
now, so ``ModelVersion.artefact_path`` stays as it is and only the files move. Every folder under
the media's ``recommender/`` moves, whether a version still names it or not (a version deleted in
the admin used to leave its files behind), and nothing is left to serve. Safe to run again: a file
already in the private storage whole is not copied twice. Reversing leaves them private: code from
before this migration finds no files for those versions and serves its fallbacks (content,
trending) until it trains again.
"""

import os

from django.core.files import File
from django.core.files.storage import storages
from django.db import migrations

PREFIX = "recommender"


def _move(source, target) -> None:
    try:
        folders, _ = source.listdir(PREFIX)
    except FileNotFoundError:
        return  # nothing was ever trained here
    for folder in folders:
        location = f"{PREFIX}/{folder}"
        _, files = source.listdir(location)
        for name in files:
            path = f"{location}/{name}"
            if target.exists(path) and target.size(path) != source.size(path):
                target.delete(path)  # cut short by a run that stopped halfway
            if not target.exists(path):
                with source.open(path, "rb") as fh:
                    target.save(path, File(fh, name=name))
            source.delete(path)
        _remove_empty(source, location)
    _remove_empty(source, PREFIX)


def _remove_empty(storage, location: str) -> None:
    try:
        os.rmdir(storage.path(location))
    except (NotImplementedError, OSError):  # a remote storage has no folders; not empty
        pass


def artefacts_out_of_media(apps, schema_editor):
    _move(storages["default"], storages["artefacts"])


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0003_event_user_newest")]

    operations = [migrations.RunPython(artefacts_out_of_media, migrations.RunPython.noop)]
