"""`render_safely`: a component's `render` whose failure becomes an error box instead of an exception."""

import functools

from metaflow_studio.cards_components import error_dict


def render_safely(func):
    @functools.wraps(func)
    def render(self, *args, **kwargs):
        import json
        import traceback

        name = type(self).__name__
        try:
            rendered = func(self, *args, **kwargs)
        except Exception:
            return error_dict("Render failed of component named `%s`" % name, traceback.format_exc())
        try:
            json.dumps(rendered)
        except (TypeError, ValueError, OverflowError) as e:
            return error_dict("Render failed of component named `%s`" % name,
                              "Rendered Component cannot be JSON serialized.\n\n%s" % e)
        return rendered

    return render
