"""Which kind of file a name is, for its icon and for the image preview."""

from __future__ import annotations

KINDS = ("folder", "file", "image", "audio", "video", "archive", "text", "code", "pdf", "document")

_BY_EXTENSION = {
    "image": "png jpg jpeg gif bmp webp tif tiff ico svg heic",
    "audio": "mp3 wav flac ogg oga m4a aac opus wma",
    "video": "mp4 mkv avi mov webm wmv m4v mpg mpeg",
    "archive": "zip tar gz tgz bz2 xz zst 7z rar iso deb rpm",
    "text": "txt md rst log csv tsv ini cfg conf",
    "code": "py c h cpp hpp rs go js ts java rb sh json yaml yml toml xml html css sql",
    "pdf": "pdf",
    "document": "doc docx odt rtf xls xlsx ods ppt pptx odp epub",
}
_KIND_OF = {ext: kind for kind, exts in _BY_EXTENSION.items() for ext in exts.split()}

#: Formats Pillow decodes for the preview (svg and heic need extra libraries).
PREVIEWABLE = frozenset("png jpg jpeg gif bmp webp tif tiff ico".split())
#: Images larger than this are not fetched for a preview.
PREVIEW_MAX_BYTES = 16 * 1024 * 1024


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def kind_of(name: str) -> str:
    return _KIND_OF.get(extension(name), "file")


def can_preview(name: str, size: int) -> bool:
    return extension(name) in PREVIEWABLE and 0 < size <= PREVIEW_MAX_BYTES
