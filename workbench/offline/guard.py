"""Requests the product cannot serve, and the plain-text answers the model gives instead.

The assistant turns questions about the events table into read-only queries.
Asking it to change or delete data, to read other tables, files, credentials
or its own instructions, or sending nothing it can read as a question gets no
query: one or two sentences saying what it does, with an example question
taken from the prompt (its examples, else its columns).
"""

from __future__ import annotations

import re

from workbench.offline.lexicon import Lexicon

_POLITE = r"(?:(?:please|pls|ok|okay|hey|hi|now|then|and|also|just|quickly|go ahead and|can you|could you|would you|will you|i want to|i need to|i'd like to|id like to|help me|let's|lets|you should|you must|try to)\s+)*"
_WRITE_VERBS = r"(?:delete|remove|erase|wipe|purge|drop|truncate|destroy|update|insert|alter|modify|overwrite|rename|reset|clear|edit|change|set|create|add|write|kill|restart|deploy|rollback|scale|disable|enable|grant|revoke|fix|patch|upload|import|replace|shut\s+down)"
_VALUE_NOUNS = r"(?:requests?|calls?|spans?|operations?|queries|query|statements?|commands?|methods?|events?\s+(?:by|per|for|in|over)|traffic|endpoints?|latency|errors?|ops)"
_WRITE_START = re.compile(rf"^\s*{_POLITE}{_WRITE_VERBS}\b(?![-.])(?!\s+{_VALUE_NOUNS}\b)(?!\s*$)", re.I)
_WRITE_ANYWHERE = [
    re.compile(r"\b(?:drop|truncate|alter)\s+(?:the\s+)?table\b", re.I),
    re.compile(
        r"\bdelete\s+from\b|\binsert\s+into\b|\bupdate\s+[\w.\"]+\s+set\b|\bcreate\s+(?:table|index|view)\b",
        re.I,
    ),
    re.compile(r";\s*(?:drop|delete|update|insert|truncate|alter|create)\b", re.I),
    re.compile(
        rf"(?:^|[,;.]|\band\b|\bthen\b|\bto\b)\s*{_POLITE}(?:delete|remove|erase|wipe|purge|drop|truncate|destroy)\s+(?:all|the|every|these|those|them|it|this|that|my|our|old|any)?\s*(?:of\s+the\s+)?(?:data|rows?|records?|events?(?!\s+(?:by|per|for))|tables?|logs?|database|dataset|everything|columns?|traces?|history|entries)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:change|modify|edit|overwrite|update|set)\s+(?:the\s+)?(?:value|values|data|rows?|records?|events?)\s+(?:of|in|to|where|so)\b",
        re.I,
    ),
]
#: data changes phrased as settings: "set error = false on ...", "mark those spans as test traffic"
_SETTINGS = [
    re.compile(
        rf"(?:^|[,;.:!?]\s*|\b(?:and|then)\s+){_POLITE}(?:set|make|flag|mark)\s+(?:the\s+|all\s+|every\s+|each\s+)?"
        r"(?!(?:granularity|time|limit|window|bucket|interval|resolution|sort|order|range|period|precision)\b)[`'\"]?[\w.\-]{1,80}[`'\"]?\s*"
        r"(?:=|:=|\bto\s+(?:true|false|null|none|yes|no|zero|empty|-?\d|[`'\"]))",
        re.I,
    ),
    re.compile(r"\b(?:mark|flag|label|tag|classify|reclassify)\s+(?:[\w.\-`'\"/{}]+\s+){0,10}?as\s+\w", re.I),
]
_OTHER_TABLE = [
    re.compile(
        r"\b(?:from|in|on|join|query|read|show|open|see|get|dump|export)\s+(?:me\s+|us\s+)?(?:the\s+|a\s+|your\s+)?[`\"]?(?P<t>\w+)[`\"]?\s+table\b",
        re.I,
    ),
    re.compile(r"\bthe\s+[`\"]?(?P<t>\w+)[`\"]?\s+table\b", re.I),
    re.compile(
        r"\bother\s+tables?\b|\ball\s+(?:the\s+)?tables\b|\b(?:show|list)\s+(?:me\s+)?(?:all\s+)?(?:the\s+)?tables\b|\bwhat\s+tables\b",
        re.I,
    ),
    re.compile(
        r"\binformation_schema\b|\bpg_catalog\b|\bpg_\w+\b|\bsqlite_master\b|\bduckdb_\w+\(|\bshow\s+databases\b",
        re.I,
    ),
    re.compile(r"\bselect\b[^;]*?\bfrom\s+[`\"]?(?P<t>[\w.]+)", re.I),
]
_SECRETS = [
    re.compile(
        r"/etc/|~/|\.\./|\b[a-z]:\\|\.(?:env|pem|key|ssh|bashrc|npmrc|netrc|aws)\b|\bpasswd\b|\bshadow\s+file\b",
        re.I,
    ),
    re.compile(
        r"\b(?:api[\s_-]?keys?|secret(?:s|\s+keys?)?|passwords?|credentials?|private\s+keys?|ssh\s+keys?|access\s+(?:keys?|tokens?)|auth(?:entication)?\s+tokens?|bearer\s+tokens?|tokens?\s+for|environment\s+variables?|env\s+vars?|openai_api_key|aws_secret)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:read|open|cat|print|display|dump|list|load|show|give)\b[^.?!]*\b(?:files?|directory|directories|folders?|disk|filesystem|source\s+code)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:system\s+prompt|your\s+(?:instructions|prompt|rules|configuration|config)|ignore\s+(?:all\s+|the\s+|your\s+|any\s+)?(?:previous|prior|above|earlier)\s+(?:instructions|rules|prompts?)|jailbreak|developer\s+mode)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:run|execute|exec)\s+(?:a\s+|this\s+|the\s+|arbitrary\s+)?(?:shell|bash|command|script|code|python|sql)\b|\bos\.system\b|\bsubprocess\b|\b(?:curl|wget)\b|https?://",
        re.I,
    ),
]


#: the longest question the model reads (characters, whitespace collapsed); longer ones are declined
MAX_QUESTION_CHARS = 2000


def refusal_kind(question: str, table: str = "events") -> str | None:
    """``too_long``, ``write``, ``table``, ``secret``, ``empty`` or ``None`` when the request looks servable."""
    text = " ".join(question.split())
    if not text or not re.search(r"[A-Za-z0-9]", text):
        return "empty"
    if len(text) > MAX_QUESTION_CHARS:
        return "too_long"
    if _WRITE_START.search(text) or any(p.search(text) for p in (*_WRITE_ANYWHERE, *_SETTINGS)):
        return "write"
    if any(p.search(text) for p in _SECRETS):
        return "secret"
    for p in _OTHER_TABLE:
        for m in p.finditer(text):
            name = (m.groupdict().get("t") or "").lower().strip('`"')
            if not name or name not in (
                table.lower(),
                "this",
                "the",
                "my",
                "our",
                "events",
                "event",
                "same",
                "a",
            ):
                return "table"
    return None


def example_question(examples: list[str], lex: Lexicon | None) -> str:
    """An example the user could ask: the prompt's first example question, else one built from its columns."""
    if examples:
        return examples[0]
    if lex is not None and lex.cols:
        group = next((c for c in lex.cols if c.type == "string" and c.values and not c.deprecated), None)
        noun = group.name.replace("_", ".").split(".")[0] if group is not None else None
        if group is not None and noun in ("app", "http", "cloud", "k8s", "db", "net"):
            noun = group.name.replace("_", ".").split(".")[-1]
        if lex.concept("duration") and noun:
            return f"p95 latency by {noun} in the last 24 hours"
        if noun:
            return f"how many events per {noun} yesterday"
    return "how many events per hour yesterday"


_WHAT_I_DO = "I turn questions about the {table} table (the shop's telemetry) into read-only queries"


def decline_text(kind: str, table: str, example: str, terms: list[str] | None = None) -> str:
    """The one-or-two-sentence answer for a request the model will not turn into a query."""
    does = _WHAT_I_DO.format(table=table)
    ask = f'For example, you can ask: "{example}".'
    if kind == "write":
        return f"I can't change or delete data: {does}. {ask}"
    if kind == "table":
        return f"I can only query the {table} table, not other tables or the database catalog: {does}. {ask}"
    if kind == "secret":
        return f"I can't read files, credentials, secrets or my own configuration: {does}. {ask}"
    if kind == "too_long":
        return (
            f"The question is longer than {MAX_QUESTION_CHARS:,} characters, which is more than I read: "
            f"ask one question in a sentence or two. {does}. {ask}"
        )
    if kind == "empty":
        return f"The question is empty. {does}. {ask}"
    if kind == "missing":
        quoted = ", ".join(f'"{t}"' for t in terms or [])
        return (
            f"None of the listed columns holds {quoted}, so I can't answer that without guessing a column. "
            f'{does}; for example: "{example}".'
        )
    if kind == "no_schema":
        return f"The prompt lists no columns, so I can't build a query. {does}. {ask}"
    return f"I couldn't read that as a question about the telemetry. {does}. {ask}"
