"""The card exceptions flows and Metaflow's test suite catch (names as in `metaflow.plugins.cards.exception`)."""

import re

from metaflow.exception import MetaflowException

TYPE_CHECK_REGEX = "^[a-zA-Z0-9_]+$"
CARD_ID_PATTERN = re.compile(TYPE_CHECK_REGEX)


class CardClassFoundException(MetaflowException):
    headline = "MetaflowCard not found"

    def __init__(self, card_name):
        super(CardClassFoundException, self).__init__(
            "MetaflowCard named %s not found. Check the `type` attribute in @card" % card_name)


class CardNotPresentException(MetaflowException):
    """No stored card matches (the task has no cards, or none of this type, id or hash)."""

    headline = "Card not found in datastore"

    def __init__(self, pathspec, card_type=None, card_hash=None, card_id=None):
        message = "Card not found for pathspec %s" % pathspec
        if card_id is not None:
            message = "Card with id '%s' not found for pathspec %s" % (card_id, pathspec)
        if card_type is not None:
            message = "Card with type '%s' not found for pathspec %s" % (card_type, pathspec)
        if card_hash is not None:
            message = ("Card with hash '%s' not found for pathspec %s. When using `--hash` always ensure you have full "
                       "hash or first five characters of the hash." % (card_hash, pathspec))
        super(CardNotPresentException, self).__init__(message)


class IncorrectArgumentException(MetaflowException):
    headline = "`get_cards` received an incorrect argument"

    def __init__(self, obj_type):
        super(IncorrectArgumentException, self).__init__(
            "`get_cards` function requires a `Task` object or pathspec as an argument. `task` argument received is "
            "of type %s" % obj_type)


class IncorrectPathspecException(MetaflowException):
    headline = "Incorrect pathspec"

    def __init__(self, pathspec):
        super(IncorrectPathspecException, self).__init__(
            "Pathspec %s is invalid. Pathspec should be of the form `<FlowName>/<RunID>/<StepName>/<TaskID>`"
            % pathspec)


class UnrenderableCardException(MetaflowException):
    headline = "Unable to render @card"

    def __init__(self, card_type, args):
        super(UnrenderableCardException, self).__init__(
            "Card of type %s is unable to be rendered with arguments %s." % (card_type, args))


class ComponentOverwriteNotSupportedException(MetaflowException):
    headline = "Component overwrite is not supported"

    def __init__(self, component_id, card_id, card_type):
        super(ComponentOverwriteNotSupportedException, self).__init__(
            "Component with id %s already exists in card %s of type %s. Overwriting components is not supported."
            % (component_id, card_id, card_type))
