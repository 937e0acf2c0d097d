"""Path converters: an id in a URL is at most 18 digits, so that it always fits the database's
bigint. A longer one does not match, and the answer is a 404, never an overflow."""


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
