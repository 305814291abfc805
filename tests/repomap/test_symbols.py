"""Each language's definitions, exactly, as the map shows them."""

from __future__ import annotations

from agent.repomap import RepoMap

EXPECTED = {
    "py/shop/cart.py": [
        ("Cart", "class", "class Cart"),
        ("__init__", "method", "def __init__(self, owner: str)"),
        ("add", "method", "def add(self, sku: str, qty: int = 1) -> None"),
        ("total", "method", "def total(self) -> float"),
        ("empty_cart", "function", "def empty_cart(owner)"),
    ],
    "py/shop/pricing.py": [
        ("apply_discount", "function", "def apply_discount(amount: float, owner: str) -> float"),
    ],
    "web/src/api.js": [
        ("Client", "class", "export class Client"),
        ("constructor", "method", "constructor(base)"),
        ("fetchItems", "method", "async fetchItems(limit)"),
        ("makeClient", "function", "export function makeClient(base)"),
        ("retry", "function", "export const retry = async (fn, times = 3) =>"),
    ],
    "web/src/util.js": [("format", "function", "export function format(response)")],
    "web/src/types.ts": [
        ("Item", "interface", "export interface Item"),
        ("price", "method", "price(currency: string): number"),
        ("Sku", "type", "export type Sku = string;"),
        ("Color", "enum", "export enum Color"),
        ("Inventory", "class", "export class Inventory"),
        ("count", "method", "count(sku: Sku): number"),
        ("lookup", "function", "export function lookup(inv: Inventory, sku: Sku): number"),
    ],
    "web/src/Badge.tsx": [
        ("BadgeProps", "type", "type BadgeProps = { item: Item };"),
        ("Badge", "function", "export function Badge({ item }: BadgeProps)"),
    ],
    "go/store/store.go": [
        ("Store", "struct", "type Store struct"),
        ("Getter", "interface", "type Getter interface"),
        ("Get", "method", "Get(sku string) (int, error)"),
        ("Count", "type", "type Count int"),
        ("New", "function", "func New() *Store"),
        ("Get", "method", "func (s *Store) Get(sku string) (int, error)"),
    ],
    "rust/src/lib.rs": [
        ("Ledger", "struct", "pub struct Ledger"),
        ("Entry", "enum", "pub enum Entry"),
        ("Balance", "trait", "pub trait Balance"),
        ("balance", "method", "fn balance(&self) -> i64;"),
        ("Ledger", "impl", "impl Balance for Ledger"),
        ("balance", "method", "fn balance(&self) -> i64"),
        ("Ledger", "impl", "impl Ledger"),
        ("new", "method", "pub fn new() -> Self"),
        ("total", "function", "pub fn total(ledgers: &[Ledger]) -> i64"),
    ],
    "java/com/shop/Order.java": [
        ("Order", "class", "public class Order"),
        ("Order", "method", "public Order(List<String> skus)"),
        ("toString", "method", "@Override public String toString()"),
        ("Listener", "interface", "interface Listener"),
        ("onPlaced", "method", "void onPlaced(Order order);"),
        ("State", "enum", "enum State"),
    ],
    "c/hash.h": [
        ("table_t", "type", "typedef struct table"),
        ("table", "struct", "typedef struct table"),
        ("hash_string", "function", "unsigned long hash_string(const char *s);"),
        ("HASH_MIX", "macro", "#define HASH_MIX(a, b) ((a) ^ (b))"),
    ],
    "c/hash.c": [
        ("hash_string", "function", "unsigned long hash_string(const char *s)"),
        ("dup_key", "function", "static char *dup_key(const char *s)"),
    ],
    "cpp/shapes.cpp": [
        ("Shape", "class", "class Shape"),
        ("area", "method", "virtual double area() const = 0;"),
        ("~Shape", "method", "virtual ~Shape()"),
        ("Circle", "class", "class Circle : public Shape"),
        ("Circle", "method", "explicit Circle(double r) : r_(r)"),
        ("area", "method", "double area() const override"),
        ("Circle_scale", "function", "double Circle_scale(Circle &c, double k);"),
        ("Circle_scale", "function", "double geo::Circle_scale(geo::Circle &c, double k)"),
    ],
    "ruby/lib/greeter.rb": [
        ("Greetings", "module", "module Greetings"),
        ("Greeter", "class", "class Greeter"),
        ("initialize", "method", "def initialize(name)"),
        ("greet", "method", 'def greet(punct = "!")'),
        ("default", "method", "def self.default"),
        ("shout", "function", "def shout(text)"),
    ],
}


def test_every_language_maps_to_its_exact_definitions(polyglot, cache_dir):
    res = RepoMap(polyglot, cache_dir=cache_dir).render(budget_tokens=100_000)
    got = {f["path"]: [(s["name"], s["kind"], s["signature"]) for s in f["symbols"]]
           for f in res.to_dict()["files"]}
    for path, symbols in EXPECTED.items():
        assert got[path] == symbols, path
    # files without a grammar still appear, by path
    assert got["README.md"] == []
    assert res.total_symbols == res.symbols == sum(len(v) for v in EXPECTED.values()) + 1  # + untracked.py


def test_python_definitions_from_text_follow_blocks_strings_and_long_headers():
    from agent.repomap.pyscan import definitions

    src = (
        'class Model:\n'
        '    """Docs.\n'
        'def not_a_function():\n'
        '    """\n'
        '    async def fetch(self, url: str = "a:(b", *,\n'
        '                    retries=3) -> "Result":\n'
        '        def inner(): pass\n'
        '        return inner\n'
        'if TYPE_CHECKING:\n'
        '    def typed(x: int) -> int: ...\n'
        'class Héllo(Base[int], metaclass=Meta):  # comment\n'
        '    def __init__(\n'
        '        self,\n'
        '    ) -> None:\n'
        '        pass\n'
    ).encode()
    assert definitions(src) == [
        ("Model", "class", 1, 0, "class Model"),
        ("fetch", "method", 5, 1, 'async def fetch(self, url: str = "a:(b", *, retries=3) -> "Result"'),
        ("inner", "function", 7, 2, "def inner()"),
        ("typed", "function", 10, 0, "def typed(x: int) -> int"),
        ("Héllo", "class", 11, 0, "class Héllo(Base[int], metaclass=Meta)"),
        ("__init__", "method", 12, 1, "def __init__(self) -> None"),
    ]
