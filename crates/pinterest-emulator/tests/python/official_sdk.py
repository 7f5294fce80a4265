"""Drive Pinterest's official Python SDK (PyPI ``pinterest-api-sdk`` 0.2.7)
against a running pinterest-emulator, unchanged and configured only the
way the SDK documents: its ``PINTEREST_*`` environment variables.

Usage, with the interpreter of a virtualenv that has
``pinterest-api-sdk==0.2.7`` (the project keeps one at
``target/py/official``)::

    target/py/official/bin/python official_sdk.py [EMULATOR_BASE_URL]

Configuration (environment):

``PINTEREST_API_URI``
    The SDK's own variable: the API base *including* ``/v5``, e.g.
    ``http://127.0.0.1:4010/v5``. (The quickstart scripts use the same name
    for the host alone; the SDK appends only ``/oauth/token`` and the
    operation paths to it.) When ``EMULATOR_BASE_URL`` is given on the
    command line (``http://127.0.0.1:4010``, no ``/v5``), the script sets
    ``PINTEREST_API_URI`` to it plus ``/v5`` before importing the SDK.
    Only a loopback host is accepted: the script creates and deletes
    content.
``PINTEREST_APP_ID``, ``PINTEREST_APP_SECRET``, ``PINTEREST_REFRESH_ACCESS_TOKEN``
    The SDK's preferred way to authenticate: at its first call it POSTs
    ``grant_type=refresh_token`` to ``$PINTEREST_API_URI/oauth/token`` with
    HTTP Basic client authentication and uses the access token it gets.
    It never keeps the new refresh token the answer carries, and the
    emulator revokes a grant whose spent refresh token comes back: give
    every run a fresh refresh token.
``PINTEREST_ACCESS_TOKEN``
    Alternatively an access token; when set, the SDK uses it and makes no
    token request (set it *or* the refresh token, not both, to exercise
    the refresh).

The token needs ``user_accounts:read boards:read boards:write pins:read
pins:write``.

The SDK reads a ``config.json`` found anywhere under the parent of the
working directory, and a ``.env`` above its own install directory; so the
script first moves to an empty temporary directory, and after importing
the SDK checks that its configuration is the one given here.

What it does, asserting each answer (ids and fields match what was sent or
created): read the user account, list boards with the SDK's own paging
(``Bookmark.get_next``), create a board, create a board section, create
Pins from an image URL (one in the section), read a Pin back, list the
board's Pins two per page through the bookmarks, list the section's Pins,
update the board, the section and a Pin, save a Pin, then delete all it
created and check that the board is gone.

Exit status 0 when everything matched, 1 on a mismatch or an API error
(with the step, the HTTP status and the body on stderr), 2 on a usage or
configuration error. The last line on stdout is one JSON object:
``{"ok": true, ...}`` with what was created and seen, or ``{"ok": false,
"step": ..., "error": ...}``.
"""

import atexit
import ipaddress
import json
import os
import shutil
import sys
import tempfile
import urllib.parse

IMAGE_URL = "https://i.pinimg.com/originals/emulator/official-sdk-test.jpg"


class Mismatch(Exception):
    """An answer that is not what the script expected."""


class UsageError(Exception):
    """The script was not given what it needs."""


STATE = {"step": "setup"}


def step(name):
    STATE["step"] = name


def expect(actual, expected, what):
    if actual != expected:
        raise Mismatch(f"{what}: expected {expected!r}, got {actual!r}")


def expect_true(condition, what):
    if not condition:
        raise Mismatch(what)


def every_page(first, what):
    """The ids of every item, following the SDK's own ``Bookmark.get_next``
    from ``first`` (an ``(items, bookmark)`` pair), and the page count."""
    items, bookmark = first
    ids = [i.id for i in items]
    pages = 1
    while bookmark is not None:
        expect_true(pages < 100, f"{what} paging does not end")
        items, bookmark = bookmark.get_next()
        ids += [i.id for i in items]
        pages += 1
    return ids, pages


def configure():
    """Sets PINTEREST_API_URI from argv if given; checks the configuration.
    Returns (api_uri, auth_mode)."""
    if len(sys.argv) > 2:
        raise UsageError("usage: official_sdk.py [EMULATOR_BASE_URL]")
    if len(sys.argv) == 2:
        os.environ["PINTEREST_API_URI"] = sys.argv[1].rstrip("/") + "/v5"
    api_uri = os.environ.get("PINTEREST_API_URI")
    if not api_uri:
        raise UsageError("set PINTEREST_API_URI (http://127.0.0.1:PORT/v5) or pass the emulator's base URL")
    parsed = urllib.parse.urlsplit(api_uri)
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme not in ("http", "https") or not loopback:
        raise UsageError(f"PINTEREST_API_URI must name a loopback emulator, not {api_uri!r}")
    if not parsed.path.rstrip("/").endswith("/v5"):
        raise UsageError(f"PINTEREST_API_URI must end with /v5 (the SDK's convention), not {api_uri!r}")
    if os.environ.get("PINTEREST_ACCESS_TOKEN"):
        mode = "access_token"
    elif all(os.environ.get(k) for k in ("PINTEREST_REFRESH_ACCESS_TOKEN", "PINTEREST_APP_ID", "PINTEREST_APP_SECRET")):
        mode = "refresh_token"
    else:
        raise UsageError(
            "set PINTEREST_ACCESS_TOKEN, or PINTEREST_APP_ID + PINTEREST_APP_SECRET + PINTEREST_REFRESH_ACCESS_TOKEN"
        )
    return api_uri, mode


def isolate_working_directory():
    """The SDK walks the parent of the working directory for config.json:
    work in an empty temporary directory, removed at exit."""
    root = tempfile.mkdtemp(prefix="official-sdk-")
    work = os.path.join(root, "work")
    os.mkdir(work)
    os.chdir(work)

    def remove():
        os.chdir(tempfile.gettempdir())
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(remove)


def check_sdk_config(config, api_uri):
    """The SDK read .env / config.json files at import: make sure none of
    them changed what this script was given."""
    given = {
        "PINTEREST_API_URI": api_uri,
        "PINTEREST_ACCESS_TOKEN": os.environ.get("PINTEREST_ACCESS_TOKEN"),
        "PINTEREST_REFRESH_ACCESS_TOKEN": os.environ.get("PINTEREST_REFRESH_ACCESS_TOKEN"),
    }
    for name, value in given.items():
        if getattr(config, name) != value:
            raise UsageError(f"the SDK's {name} is not the one given: a .env or config.json file overrides it")


def run(api_uri, mode):
    # Imported only now: the SDK reads its configuration at import time.
    from openapi_generated.pinterest_client.api.pins_api import PinsApi
    from openapi_generated.pinterest_client.api.user_account_api import UserAccountApi
    from openapi_generated.pinterest_client.exceptions import ApiException
    from openapi_generated.pinterest_client.model.pin_update import PinUpdate
    from pinterest import config
    from pinterest.client import PinterestSDKClient
    from pinterest.organic.boards import Board, BoardSection
    from pinterest.organic.pins import Pin

    check_sdk_config(config, api_uri)
    summary = {"sdk_version": config.PINTEREST_SDK_VERSION, "user_agent": config.PINTEREST_USER_AGENT, "auth": mode}
    created = {"board": None, "pins": []}

    try:
        step("client (token)")
        client = PinterestSDKClient.create_default_client()
        token = client.configuration.access_token
        expect_true(bool(token), "the SDK has no access token")
        if mode == "refresh_token":
            expect_true(token != os.environ["PINTEREST_REFRESH_ACCESS_TOKEN"], "the SDK used the refresh token as access token")

        step("user_account/get")
        account = UserAccountApi(client).user_account_get()
        expect_true(bool(account.username), "the user account has no username")
        expect_true(bool(account.id), "the user account has no id")
        summary["user"] = account.username

        step("boards/list (paged)")
        seen, pages = every_page(Board.get_all(page_size=1), "board")
        expect(len(seen), len(set(seen)), "boards listed twice across pages")
        if len(seen) >= 2:
            expect_true(pages >= 2, f"{len(seen)} boards one per page came in {pages} page(s)")
        summary["boards_before"] = len(seen)
        summary["board_pages"] = pages

        step("boards/create")
        name, description = "Official SDK board", "Made by official_sdk.py"
        board = Board.create(name=name, description=description, privacy="PUBLIC")
        created["board"] = board.id
        expect(board.name, name, "created board name")
        expect(board.description, description, "created board description")
        expect(board.privacy, "PUBLIC", "created board privacy")
        expect_true(board.id not in seen, "the new board has the id of an existing one")

        step("boards/get")
        again = Board(board_id=board.id)
        expect(again.id, board.id, "board read back: id")
        expect(again.name, name, "board read back: name")

        step("board_sections/create")
        section = board.create_section(name="Official SDK section")
        expect(section.name, "Official SDK section", "created section name")
        expect_true(bool(section.id), "the created section has no id")

        step("board_sections/list")
        sections, _ = board.list_sections()
        expect([s.id for s in sections], [section.id], "the new board's sections")

        step("pins/create")
        specs = [
            ("SDK pin one", "first", None),
            ("SDK pin two", "second", None),
            ("SDK pin three", "third", section.id),
        ]
        for title, desc, section_id in specs:
            pin = Pin.create(
                board_id=board.id,
                board_section_id=section_id,
                media_source={"source_type": "image_url", "url": IMAGE_URL},
                title=title,
                description=desc,
                link="https://www.example.com/official-sdk",
                alt_text=f"{title} alt",
            )
            created["pins"].append(pin.id)
            expect(pin.title, title, "created Pin title")
            expect(pin.description, desc, "created Pin description")
            expect(pin.board_id, board.id, "created Pin board_id")
            expect(pin.board_section_id, section_id, "created Pin board_section_id")

        step("pins/get")
        first = Pin(pin_id=created["pins"][0])
        expect(first.id, created["pins"][0], "Pin read back: id")
        expect(first.title, "SDK pin one", "Pin read back: title")
        expect(first.link, "https://www.example.com/official-sdk", "Pin read back: link")
        expect(first.alt_text, "SDK pin one alt", "Pin read back: alt_text")
        expect_true(first.media is not None, "Pin read back has no media")

        step("boards/list_pins (paged)")
        listed, pin_pages = every_page(board.list_pins(page_size=2), "Pin")
        expect(sorted(listed), sorted(created["pins"]), "the board's Pins across pages")
        expect_true(pin_pages >= 2, f"3 Pins two per page came in {pin_pages} page(s)")
        summary["pin_pages"] = pin_pages

        step("board_sections/list_pins")
        in_section, _ = board.list_pins(section_id=section.id)
        expect([p.id for p in in_section], [created["pins"][2]], "the section's Pins")

        step("boards/update")
        board.update_fields(name="Official SDK board, renamed", description="Updated")
        expect(board.name, "Official SDK board, renamed", "board name after update")
        expect(board.description, "Updated", "board description after update")
        expect(Board(board_id=board.id).name, "Official SDK board, renamed", "board name read back after update")

        step("board_sections/update")
        renamed = board.update_section(section_id=section.id, name="Renamed section")
        expect(renamed.id, section.id, "updated section id")
        expect(renamed.name, "Renamed section", "updated section name")

        step("pins/update")
        updated = PinsApi(client).pins_update(
            pin_id=created["pins"][1], pin_update=PinUpdate(title="SDK pin two, edited", description="edited")
        )
        expect(updated.id, created["pins"][1], "updated Pin id")
        expect(updated.title, "SDK pin two, edited", "updated Pin title")
        reread = Pin(pin_id=created["pins"][1])
        expect(reread.title, "SDK pin two, edited", "Pin title read back after update")
        expect(reread.description, "edited", "Pin description read back after update")

        step("pins/save")
        saved = Pin(pin_id=created["pins"][0])
        saved.save(board_id=board.id, board_section_id=section.id)
        expect_true(saved.id != created["pins"][0], "saving a Pin gave back the same id")
        created["pins"].append(saved.id)
        expect(saved.board_id, board.id, "saved Pin board_id")
        expect(saved.board_section_id, section.id, "saved Pin board_section_id")

        step("pins/delete")
        all_pins = list(created["pins"])
        for pin_id in all_pins:
            expect(Pin.delete(pin_id=pin_id), True, f"deleting Pin {pin_id}")
            created["pins"].remove(pin_id)
        try:
            Pin(pin_id=all_pins[0])
        except ApiException as e:
            expect(e.status, 404, "reading a deleted Pin")
        else:
            raise Mismatch("a deleted Pin can still be read")

        step("board_sections/delete")
        board.delete_section(section_id=section.id)
        sections, _ = board.list_sections()
        expect(sections, [], "sections after deleting the section")

        step("boards/delete")
        expect(Board.delete(board_id=board.id), True, "deleting the board")
        created["board"] = None
        try:
            Board(board_id=board.id)
        except ApiException as e:
            expect(e.status, 404, "reading the deleted board")
        else:
            raise Mismatch("the deleted board can still be read")

        step("boards/list (after)")
        boards, bookmark = Board.get_all(page_size=25)
        after = [b.id for b in boards]
        while bookmark is not None:
            boards, bookmark = bookmark.get_next()
            after += [b.id for b in boards]
        expect(sorted(after), sorted(seen), "boards after cleaning up")

        summary.update(board_id=board.id, section_id=section.id, pin_ids=all_pins)
        return summary
    finally:
        cleanup(created, Pin, Board)


def cleanup(created, pin_cls, board_cls):
    """Best effort: delete what a failed run left behind."""
    for pin_id in created["pins"]:
        try:
            pin_cls.delete(pin_id=pin_id)
        except Exception:  # noqa: BLE001 - cleanup must not hide the failure
            pass
    if created["board"]:
        try:
            board_cls.delete(board_id=created["board"])
        except Exception:  # noqa: BLE001
            pass


def describe(error):
    status = getattr(error, "status", None)
    if status is not None:
        body = getattr(error, "body", None)
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        return f"HTTP {status} {getattr(error, 'reason', '')}: {body}".strip()
    return f"{type(error).__name__}: {error}"


def main():
    try:
        api_uri, mode = configure()
        isolate_working_directory()
    except UsageError as e:
        print(f"official_sdk.py: {e}", file=sys.stderr)
        print(json.dumps({"ok": False, "step": "setup", "error": str(e)}))
        return 2
    try:
        summary = run(api_uri, mode)
    except UsageError as e:
        print(f"official_sdk.py: {e}", file=sys.stderr)
        print(json.dumps({"ok": False, "step": "setup", "error": str(e)}))
        return 2
    except Mismatch as e:
        print(f"official_sdk.py: MISMATCH at {STATE['step']}: {e}", file=sys.stderr)
        print(json.dumps({"ok": False, "step": STATE["step"], "error": str(e)}))
        return 1
    except Exception as e:  # noqa: BLE001 - any SDK or HTTP error is a failure to report
        message = describe(e)
        print(f"official_sdk.py: ERROR at {STATE['step']}: {message}", file=sys.stderr)
        print(json.dumps({"ok": False, "step": STATE["step"], "error": message}))
        return 1
    print(json.dumps({"ok": True, **summary}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
