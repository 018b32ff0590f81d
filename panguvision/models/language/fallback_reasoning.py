"""Template-based answers of the no-weights fallback backend: greetings, arithmetic with its steps, and a restatement.

Hand-written because the fallback must run with no model at all; it is not a language model and does not pretend to
be one. Arithmetic is evaluated on a parsed syntax tree restricted to numbers and ``+ - * / // % **`` (never
``eval``), so any text is safe to pass.
"""
import ast
import operator
import re
from typing import List, Optional, Tuple

_BINOPS = {
    ast.Add: (operator.add, '+'),
    ast.Sub: (operator.sub, '-'),
    ast.Mult: (operator.mul, '*'),
    ast.Div: (operator.truediv, '/'),
    ast.FloorDiv: (operator.floordiv, '//'),
    ast.Mod: (operator.mod, '%'),
    ast.Pow: (operator.pow, '^'),
}
_WORD_OPS = ((r'\bmultiplied by\b', '*'), (r'\bdivided by\b', '/'), (r'\btimes\b', '*'), (r'\bplus\b', '+'),
             (r'\bminus\b', '-'), ('×', '*'), ('÷', '/'), (r'\^', '**'))
_EXPR_RE = re.compile(r'[\d.()\s+\-*/%]+')
_NUMBER_RE = re.compile(r'\d+(?:\.\d+)?')
_SUBTRACT_WORDS = ('give', 'gives', 'gave', 'away', 'eat', 'eats', 'ate', 'lose', 'loses', 'lost', 'spend',
                   'spends', 'spent', 'fewer', 'less', 'remove', 'removes', 'removed', 'sell', 'sells', 'sold',
                   'leave', 'leaves', 'left', 'minus', 'subtract')
_MULTIPLY_WORDS = ('each', 'per', 'times', 'every')
# Word problems about these need more than adding, subtracting and multiplying in order: the solver declines them.
_UNSUPPORTED_WORDS = ('average', 'mean', 'speed', 'rate', 'percent', 'percentage', 'ratio', 'probability', 'area',
                      'volume', 'fraction', 'divide', 'divided', 'split', 'share', 'shared', 'half', 'quarter',
                      'hour', 'hours', 'minute', 'minutes', 'km', 'miles', 'faster', 'slower', 'interest')
_GREETINGS = ('hello', 'hi', 'hey', 'greetings', 'good morning', 'good afternoon', 'good evening', 'howdy')
STOPWORDS = frozenset(
    'a an the and or but if then else of to in on at by for with from into about as is are was were be been being do '
    'does did have has had i you he she it we they me my your our their this that these those what which who whom '
    'whose when where why how can could would should will shall may might must please tell let lets us not no yes '
    'so than too very just also there here some any all each more most such only own same other'.split())
_MAX_POW = 64


def format_number(value: float) -> str:
    """``84.0`` -> ``'84'``, ``2.5`` -> ``'2.5'``, ``1/3`` -> ``'0.333333'``."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f'{value:.6g}'


def _evaluate(node: ast.AST, steps: List[str]) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, steps)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, steps)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _evaluate(node.left, steps), _evaluate(node.right, steps)
        func, symbol = _BINOPS[type(node.op)]
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_POW:
            raise ValueError('exponent too large')
        result = func(left, right)
        steps.append(f'{format_number(left)} {symbol} {format_number(right)} = {format_number(result)}')
        return result
    raise ValueError(f'unsupported expression element {type(node).__name__}')


def solve_expression(text: str) -> Optional[Tuple[List[str], float]]:
    """Find the longest arithmetic expression in ``text`` and evaluate it.

    Returns ``(steps, value)`` (one step per binary operation, innermost first) or ``None`` when the text holds no
    expression with an operator (or it divides by zero).
    """
    work = text.lower()
    for pattern, symbol in _WORD_OPS:
        work = re.sub(pattern, f' {symbol} ', work)
    best = None
    for match in _EXPR_RE.finditer(work):
        candidate = match.group().strip().rstrip('.').strip()
        if not _NUMBER_RE.search(candidate) or not re.search(r'\d\s*[-+*/%]+\s*[\d(]|\)\s*[-+*/%]', candidate):
            continue
        # Balance stray parentheses picked up at the edges of the match.
        candidate = candidate.lstrip(')').rstrip('(').strip()
        if best is None or len(candidate) > len(best):
            best = candidate
    if best is None:
        return None
    steps: List[str] = []
    try:
        value = _evaluate(ast.parse(best, mode='eval'), steps)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return steps, value


def solve_word_problem(text: str) -> Optional[Tuple[List[str], float]]:
    """Combine the numbers of a short word problem in order: subtract after a 'take away' word (give, eat, lose,
    spend, ...), multiply after 'each'/'per'/'times', add otherwise. ``None`` with fewer than two numbers or when
    the problem mentions rates, averages, divisions and the like (it would need reasoning the rule cannot do)."""
    tokens = re.findall(r'\d+(?:\.\d+)?|[a-z]+', text.lower())
    if any(token in _UNSUPPORTED_WORDS for token in tokens):
        return None
    numbers, ops, pending = [], [], '+'
    for i, token in enumerate(tokens):
        if _NUMBER_RE.fullmatch(token):
            # The operator is set by a cue word between the previous number and this one, or right after this one.
            following = tokens[i + 1:i + 3]
            if any(w in _MULTIPLY_WORDS for w in following) and numbers:
                pending = '*'
            numbers.append(float(token))
            ops.append(pending)
            pending = '+'
        elif token in _SUBTRACT_WORDS:
            pending = '-'
        elif token in _MULTIPLY_WORDS and pending == '+':
            pending = '*'
    if len(numbers) < 2:
        return None
    value, steps = numbers[0], []
    for number, op in zip(numbers[1:], ops[1:]):
        new = value + number if op == '+' else value - number if op == '-' else value * number
        steps.append(f'{format_number(value)} {op} {format_number(number)} = {format_number(new)}')
        value = new
    return steps, value


def key_terms(text: str, limit: int = 6) -> List[str]:
    """Content words of ``text`` in order of first appearance (stopwords and duplicates removed)."""
    seen, terms = set(), []
    for word in re.findall(r"[a-zA-Z][a-zA-Z'-]+", text):
        low = word.lower()
        if low not in STOPWORDS and low not in seen and len(low) > 2:
            seen.add(low)
            terms.append(low)
    return terms[:limit]


def is_greeting(text: str) -> bool:
    words = re.findall(r'[a-z]+', text.lower())
    joined = ' '.join(words)
    return 0 < len(words) <= 6 and any(joined == g or joined.startswith(g + ' ') for g in _GREETINGS)


def reason(prompt: str) -> Tuple[List[str], str]:
    """``(steps, answer)`` for a prompt: greeting, arithmetic expression, word problem, or a restatement."""
    if is_greeting(prompt):
        return ['The message is a greeting, so a greeting is the right reply.'], 'Hello! How can I help you today?'
    for kind, solver in (('expression', solve_expression), ('word problem', solve_word_problem)):
        solved = solver(prompt)
        if solved is not None:
            steps, value = solved
            intro = f'The question is an arithmetic {kind}; evaluate it one operation at a time.'
            return [intro] + steps, format_number(value)
    terms = key_terms(prompt)
    if not terms:
        return ['The message has no content words to work with.'], 'Could you rephrase the question?'
    steps = [f'The request is about: {", ".join(terms)}.',
             'No language model is loaded (fallback backend), so no facts can be looked up.']
    return steps, f'This request concerns {", ".join(terms)}; a language-model backend is needed for a full answer.'
