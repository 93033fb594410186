"""The catalog's gettext and ngettext as Jinja's i18n extension installs them ("newstyle": the
translation is a format string filled with the call's keywords, marked safe where the template
autoescapes), calling the catalog directly.

The extension's own wrappers call the catalog through `Context.call`, which inspects the callable
on every call to learn whether it wants the context, and its `_()` resolves `gettext` and calls it
through the context once more: two context calls per translated text on top of the one the
compiled template makes. The catalog's functions take no context, so calling them directly gives
the same text (what `Context.call` does with such a callable).
"""

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup


def newstyle_gettext(catalog_gettext: Callable[[str], str]) -> Callable[..., str]:
    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        rv = catalog_gettext(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables  # always a format string, as the extension makes it

    return gettext


def newstyle_ngettext(catalog_ngettext: Callable[[str, str, int], str]) -> Callable[..., str]:
    @pass_context
    def ngettext(__context: Context, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        rv = catalog_ngettext(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return ngettext
