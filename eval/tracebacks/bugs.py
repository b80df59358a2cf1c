"""Faulty programs, one per bug. `{v}` is a variable name, `{x}` a value, `{pad}` blank
lines that move the failing line; all vary between runs of one bug and must not split it.
Bugs whose names end in `_near` share most words with another bug and must stay apart."""

PYTHON = {
    "py_key_missing": 'def load_config({v}):\n{pad}    return {v}["{x}"]\n\nload_config({{}})\n',
    "py_key_missing_near": 'def parse_row({v}):\n{pad}    return {v}["{x}"]\n\nparse_row({{}})\n',
    "py_zero_div": "def average({v}):\n{pad}    return sum({v}) / len({v})\n\naverage([])\n",
    "py_none_attr": "def parse({v}):\n    m = None\n{pad}    return m.group({x!r})\n\nparse(1)\n",
    "py_none_attr_near": "def parse({v}):\n    m = '{x}'\n{pad}    return m.group(1)\n\nparse(1)\n",
    "py_index": "def first({v}):\n{pad}    return {v}[{n}]\n\nfirst([])\n",
    "py_index_near": "def first({v}):\n{pad}    {v}[{n}] = 1\n\nfirst([])\n",
    "py_int_parse": "def read_age({v}):\n{pad}    return int({v})\n\nread_age({x!r})\n",
    "py_type_add": "def total({v}):\n{pad}    return {v} + {x!r}\n\ntotal({n})\n",
    "py_type_add_near": "def total({v}):\n{pad}    return {v} - {x!r}\n\ntotal({n})\n",
    "py_file_missing": "def load_data({v}):\n{pad}    return open({v}).read()\n\n"
    "load_data('{home}/data/{x}.csv')\n",
    "py_recursion": "def walk({v}):\n{pad}    return walk({v} + 1)\n\nwalk({n})\n",
    "py_library": "import json\n\ndef decode({v}):\n{pad}    return json.loads({v})\n\ndecode({x!r})\n",
}

NODE = {
    "js_undefined_prop": "function getName({v}) {{\n{pad}  return {v}.profile.{x};\n}}\ngetName({{}});\n",
    "js_undefined_prop_near": "function getName({v}) {{\n{pad}  return {v}.profile.{x};\n}}\n"
    "getName({{profile: null}});\n",
    "js_not_function": "function run({v}) {{\n{pad}  return {v}.{x}();\n}}\nrun({{}});\n",
    "js_not_defined": "function compute() {{\n{pad}  return {v} * 2;\n}}\ncompute();\n",
    "js_not_defined_near": "function render() {{\n{pad}  return {v} * 2;\n}}\nrender();\n",
    "js_json": "function decode({v}) {{\n{pad}  return JSON.parse({v});\n}}\ndecode('{x}');\n",
    "js_array_length": "function alloc({v}) {{\n{pad}  return new Array({v});\n}}\nalloc(-{n});\n",
}

JAVA = {
    "java_npe": "static int process(String {v}) {{\n{pad}    return {v}.length();\n}}\n"
    "public static void main(String[] a) {{ process(null); }}\n",
    "java_npe_near": "static int render(String {v}) {{\n{pad}    return {v}.length();\n}}\n"
    "public static void main(String[] a) {{ render(null); }}\n",
    "java_bounds": "static int pick(int[] {v}) {{\n{pad}    return {v}[{n}];\n}}\n"
    "public static void main(String[] a) {{ pick(new int[2]); }}\n",
    "java_parse": "static int parse(String {v}) {{\n{pad}    return Integer.parseInt({v});\n}}\n"
    'public static void main(String[] a) {{ parse("{x}"); }}\n',
    "java_div": "static int ratio(int {v}) {{\n{pad}    return 10 / {v};\n}}\n"
    "public static void main(String[] a) {{ ratio(0); }}\n",
    "java_div_near": "static int ratio(int {v}) {{\n{pad}    return java.math.BigInteger.TEN"
    ".divide(java.math.BigInteger.valueOf({v})).intValue();\n}}\n"
    "public static void main(String[] a) {{ ratio(0); }}\n",
}

RUST = {
    "rust_unwrap_none": "fn lookup({v}: Option<u32>) -> u32 {{\n{pad}    {v}.unwrap()\n}}\n"
    'fn main() {{ println!("{{}}", lookup(None)); }}\n',
    "rust_index": "fn pick({v}: &[u32]) -> u32 {{\n{pad}    {v}[{n}]\n}}\n"
    'fn main() {{ let d = vec![1, 2]; println!("{{}}", pick(&d)); }}\n',
}

C = {
    "c_heap_overflow": "#include <stdlib.h>\nint fill(int {v}) {{\n  int *p = malloc(4 * sizeof(int));\n{pad}"
    "  p[{v}] = 1;\n  int r = p[0];\n  free(p);\n  return r;\n}}\nint main(void) {{ return fill({n}); }}\n",
    "c_use_after_free": "#include <stdlib.h>\nint use(int {v}) {{\n  int *p = malloc(8 * sizeof(int));\n"
    "  free(p);\n{pad}  return p[{v}];\n}}\nint main(void) {{ return use(1); }}\n",
}
