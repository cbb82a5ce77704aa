"""An exec handler for a bucket trigger: an S3 event on stdin, the object at FLINT_OBJECT_PATH.

For an image put at key a/b/photo.jpg it writes, into FLINT_OUTPUT_DIR, a/b/photo-thumb.png (fitting
256x256), a/b/photo.webp and a/b/photo.jpg (quality QUALITY); Flint moves them into the function's
output bucket when this exits 0. Anything else fails, and nothing is written.

An object replaced while its event waited or ran (a second upload of the key) is not transcoded by
that event: its content no longer has the event's eTag, and the newer upload's own event makes the
outputs. Otherwise an older event finishing last would leave outputs of the older image.
"""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from urllib.parse import unquote_plus

# Debian's ImageMagick 6, named in full: PATH may find another `convert` first.
CONVERT = "/usr/bin/convert"
IDENTIFY = "/usr/bin/identify"
THUMBNAIL = "256x256>"  # fit inside 256x256; never enlarge a smaller image
# Formats this sample transcodes, as `identify` names them. ImageMagick reads many more (SVG, MVG,
# text...), some of which can read other files; an upload is only ever decoded as one of these.
FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"]


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def shown(text):
    """`text` for a log line: a key may hold a newline, which would split the line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def md5_of(path):
    """The hex MD5 of the file at `path` (an object's eTag), or None if it cannot be read."""
    digest = hashlib.md5()
    try:
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def superseded(key):
    """The object changed since the event: its own event transcodes the new content."""
    print(f"{shown(key)}: replaced since this event (its content no longer has the event's eTag); the newer upload's event transcodes it", file=sys.stderr)
    json.dump({"key": key, "outputs": [], "superseded": True}, sys.stdout)
    sys.exit(0)


def magick(arguments):
    """Runs an ImageMagick tool; returns (succeeded, stdout, its messages on stderr)."""
    result = subprocess.run(arguments, capture_output=True, text=True, errors="replace")
    return result.returncode == 0, result.stdout.strip(), result.stderr.strip()


try:
    record = json.load(sys.stdin)["Records"][0]
    event_name = record["eventName"]
    # S3 form-URL-encodes keys in events (a space is +); unquote_plus gives the key back.
    key = unquote_plus(record["s3"]["object"]["key"])
    etag = record["s3"]["object"].get("eTag")
except (ValueError, LookupError, TypeError) as error:
    fail(f"the event is not an S3 event notification with Records[0].s3.object.key ({error!r}); bind this function with a bucket trigger")
if not event_name.startswith("ObjectCreated:"):
    json.dump({"key": key, "outputs": []}, sys.stdout)  # a removal: nothing to transcode
    sys.exit(0)
source = os.environ.get("FLINT_OBJECT_PATH")
output_dir = os.environ.get("FLINT_OUTPUT_DIR")
if not source or not output_dir:
    fail("FLINT_OBJECT_PATH or FLINT_OUTPUT_DIR is not set: give function.yaml an output: bucket and bind it with a bucket trigger")
quality = os.environ.get("QUALITY", "85")
if not quality.isdigit() or not 1 <= int(quality) <= 100:
    fail(f"QUALITY is {quality!r}; set it to a whole number from 1 to 100 in function.yaml's env")

# The object is at <buckets root>/<bucket>/<key>: the key is its real path relative to the
# bucket, so the outputs keep the key's directories.
if not source.endswith("/" + key) or key.startswith("/") or ".." in key.split("/"):
    fail(f"key {key!r} does not name the object at {source}; is this an event of a bucket trigger?")
try:
    is_file = stat.S_ISREG(os.stat(source).st_mode)
except PermissionError:
    # A directory on the way is not searchable by the handler's user: the object is there.
    fail(f"{shown(key)}: the handler's user (uid {os.getuid()}) cannot reach {source}: a directory on its way is not "
         "open to it; make the bucket's directories searchable (chmod a+rx DIR), then replay the dead letter "
         "(flint deadletters replay)")
except (FileNotFoundError, NotADirectoryError):
    is_file = False
if not is_file:
    # Not a failure: retrying cannot bring it back, and its removal has an event of its own.
    print(f"{shown(key)}: {source} is not there any more (removed or renamed since the event); nothing to transcode", file=sys.stderr)
    json.dump({"key": key, "outputs": [], "gone": True}, sys.stdout)
    sys.exit(0)
if not os.access(source, os.R_OK):
    fail(f"{shown(key)}: the handler's user (uid {os.getuid()}) cannot read {source}; make uploads readable by it "
         "(chmod a+r; flint put does), then replay the dead letter (flint deadletters replay)")
directory, name = os.path.split(key)
stem = os.path.splitext(name)[0] or name
outputs = [os.path.join(directory, f"{stem}-thumb.png"), os.path.join(directory, f"{stem}.webp"), os.path.join(directory, f"{stem}.jpg")]
longest = max(len(os.fsencode(os.path.basename(output))) for output in outputs)
if longest > 255:
    fail(f"{shown(key)}: its outputs' names would be {longest} bytes, over Linux's 255; shorten the file name")

# Everything is made in a directory of the invocation's own, then moved: a failure midway leaves
# nothing in the output directory. ImageMagick only ever sees fixed names there: it reads meaning
# into a file name's extension, a "FORMAT:" prefix, "%d" and "[...]", all of which a key may hold.
with tempfile.TemporaryDirectory(dir=os.getcwd()) as staging:
    # A copy, not the object itself: what is transcoded is what was checked against the eTag.
    image = os.path.join(staging, "source")
    try:
        shutil.copyfile(source, image)
    except OSError as error:
        fail(f"{shown(key)}: cannot read {source}: {error.strerror}")
    if etag is not None and md5_of(image) != etag:
        superseded(key)
    # "[0]": the first frame of an animation, the first page of a TIFF.
    ok, kind, message = magick([IDENTIFY, "-ping", "-format", "%m\n", image + "[0]"])
    if not ok:
        fail(f"{shown(key)} is not an image ImageMagick can read: {shown(message.replace(image, key))}")
    kind = kind.splitlines()[0] if kind else "?"
    if kind not in FORMATS:
        fail(f"{shown(key)} is a {kind} image; this sample transcodes {', '.join(FORMATS)} only")

    staged = [os.path.join(staging, made) for made in ("thumb.png", "image.webp", "image.jpg")]
    ok, _, message = magick([
        CONVERT, f"{kind}:{image}[0]",
        "-auto-orient", "-strip",  # turn it as the camera meant, then drop metadata (GPS, ...)
        "(", "+clone", "-thumbnail", THUMBNAIL, "-write", f"PNG:{staged[0]}", "+delete", ")",
        "(", "+clone", "-quality", quality, "-write", f"WEBP:{staged[1]}", "+delete", ")",
        # JPEG has no transparency: lay the image over white rather than let it turn black.
        "-background", "white", "-alpha", "remove", "-alpha", "off",
        "-quality", quality, f"JPEG:{staged[2]}",
    ])
    if not ok:
        fail(f"{shown(key)}: ImageMagick could not transcode it: {shown(message.replace(image, key))}")
    # Checked again as late as possible: replaced while this ran, the newer upload's outputs
    # (made, or being made, by its own event) must not be overwritten by these.
    if etag is not None and md5_of(source) != etag:
        superseded(key)
    for made, output in zip(staged, outputs):
        target = os.path.join(output_dir, output)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.move(made, target)

if message:
    print(f"{shown(key)}: {shown(message.replace(image, key))}", file=sys.stderr)  # warnings, e.g. a truncated file
print(f"{shown(key)}: {kind} -> {', '.join(shown(output) for output in outputs)}", file=sys.stderr)
json.dump({"key": key, "outputs": outputs}, sys.stdout)
