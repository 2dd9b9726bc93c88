"""moto's own KMS test suite, run in server mode against `kms-wasm serve`.

moto's tests (tests/test_kms of moto's sdist, which scripts/setup-python.sh
extracts into the venv's moto-tests/) are run by pytest in this process with
moto's server mode on (TEST_SERVER_MODE=true): every boto3 client they make
is pointed at TEST_SERVER_MODE_ENDPOINT, and that is `kms-wasm serve` of the
installed package (moto-serve.mjs: the package's startServer, what the CLI's
`serve` runs, with a memory store), signed with the credentials mock_aws puts
in the environment. moto resets its own server before each test with a POST
to /moto-api/reset, which serve does not answer; here (MOTO_CALL_RESET_API=
false) the plugin below asks moto-serve.mjs for a new, empty server before
each test instead, so every test starts from nothing, as under moto.

Each test's outcome is compared with moto-kms-expected.json beside this file:
`pass`, `fail: GROUP` or `not-server-fit: GROUP`, GROUP naming one of its
`reasons`, each of which begins with its kind ("not implemented yet:",
"moto's expectation is not AWS's:", "moto-only behaviour:", "not
server-fit:"). Tests not fit for server mode (they call moto's Python
internals, or other AWS services) are not run. The run fails when a test
listed `pass` does not pass, when a test is new or gone, when a reason is
TODO, missing or unused; a listed failure that passes is reported loudly but
does not fail it.

    python pkg-tests/peer/moto_kms.py --app APP   # APP: a folder whose node_modules holds kms-wasm
    MOTO_SUITE_UPDATE=1 python pkg-tests/peer/moto_kms.py --app APP   # rewrite the expectations

Options: --tests DIR (moto's test tree, default: moto-tests/ in this
Python's venv), --expected FILE, --work DIR (serve's config and log, the
outcomes as results.json), --counts FILE ({"passed", "failed"} for
pkg-tests/run.sh), -k EXPR (pytest's -k: only those tests, compared alone;
not with MOTO_SUITE_UPDATE), --tb STYLE (pytest's own report with tracebacks
in that style; by default pytest reports nothing, and this script prints what
changed and a summary).
"""

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

ACCOUNT_ID = '123456789012'  # moto's DEFAULT_ACCOUNT_ID, which the tests' ARNs name
ACCESS_KEY = 'FOOBARKEY'  # the credentials mock_aws puts in the environment
SECRET_KEY = 'FOOBARSECRET'
PRINCIPAL = f'arn:aws:iam::{ACCOUNT_ID}:user/moto'  # moto's own caller identity is "user/moto"
HARNESS_SECONDS = 60  # a bound on moto-serve.mjs's answers (milliseconds each), not a timing under test

STATUSES = ('pass', 'fail', 'not-server-fit')
TODO = 'TODO'
# The kinds of reasons (the text each begins with) and their names in the summary line.
KINDS = {
    'not implemented yet': 'not implemented yet',
    "moto's expectation is not AWS's": "moto's expectation not AWS's",
    'moto-only behaviour': 'moto-only',
    'not server-fit': 'not server-fit',
}


class Serve:
    """moto-serve.mjs: `kms-wasm serve` (the package's startServer) behind one endpoint, restarted empty on demand."""

    def __init__(self, app, work):
        config = work / 'serve.json'
        config.write_text(json.dumps({
            'accessKeys': {ACCESS_KEY: {'secretAccessKey': SECRET_KEY, 'principal': PRINCIPAL}},
            'accountId': ACCOUNT_ID,
        }))
        self.log = work / 'serve.log'
        with open(self.log, 'w') as log:
            self.proc = subprocess.Popen(['node', str(HERE / 'moto-serve.mjs'), app, str(config)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        self.buffer = b''
        self.starts = 0
        self.url = self.read_line()

    def read_line(self):
        """The harness's next line; an error with its log when it says nothing in HARNESS_SECONDS or exits."""
        deadline = time.monotonic() + HARNESS_SECONDS
        while b'\n' not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise RuntimeError(f'moto-serve.mjs said nothing in {HARNESS_SECONDS}s:\n{self.log.read_text()}')
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f'moto-serve.mjs exited ({self.proc.wait()}):\n{self.log.read_text()}')
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b'\n', 1)
        return line.decode()

    def restart(self):
        self.proc.stdin.write(b'restart\n')
        self.proc.stdin.flush()
        if self.read_line() != 'ready':
            raise RuntimeError(f'moto-serve.mjs did not restart:\n{self.log.read_text()}')
        self.starts += 1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=HARNESS_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Plugin:
    """pytest plugin: leaves out the tests not fit for server mode, gives each test an empty serve, records outcomes."""

    def __init__(self, serve, unfit):
        self.serve = serve
        self.unfit = unfit
        self.collected = []  # every test of the suite
        self.selected = []  # those run (not the unfit, nor those -k leaves out)
        self.outcomes = {}  # nodeid -> (pass | fail | skip, the failure's first line)

    def pytest_configure(self, config):
        # The markers of moto's own pytest config (its pyproject.toml is not extracted).
        for marker in ('network', 'requires_docker', 'aws_verified', 'requires_clean_slate'):
            config.addinivalue_line('markers', f"{marker}: a marker of moto's test suite")

    @pytest.hookimpl(tryfirst=True)  # before -k deselects: every test of the suite is seen
    def pytest_collection_modifyitems(self, config, items):
        self.collected = [item.nodeid for item in items]
        unfit = [item for item in items if item.nodeid in self.unfit]
        if unfit:
            config.hook.pytest_deselected(items=unfit)
            items[:] = [item for item in items if item.nodeid not in self.unfit]

    def pytest_collection_finish(self, session):
        self.selected = [item.nodeid for item in session.items]

    @pytest.hookimpl(tryfirst=True)  # before the test's fixtures and setup_method make clients
    def pytest_runtest_setup(self, item):
        self.serve.restart()

    def pytest_collectreport(self, report):
        if report.failed:  # an import error in moto's tests: shown here, as pytest's own output is off
            print(f'moto-kms: cannot collect {report.nodeid}:\n{report.longrepr}')

    def pytest_runtest_logreport(self, report):
        if report.failed:
            crash = getattr(report.longrepr, 'reprcrash', None)
            message = crash.message if crash else str(report.longrepr)
            if report.when != 'call':
                message = f'({report.when}) {message}'
            self.outcomes.setdefault(report.nodeid, ('fail', message.strip().split('\n')[0][:300]))
        elif report.skipped:
            self.outcomes.setdefault(report.nodeid, ('skip', ''))
        elif report.when == 'call':
            self.outcomes.setdefault(report.nodeid, ('pass', ''))


def kind_of(reason):
    return next((kind for kind in KINDS if reason.startswith(f'{kind}:')), None)


def parse_expectations(path):
    """The file's data, its reasons and {nodeid: (status, group)}; ValueError when an entry is malformed."""
    data = json.loads(path.read_text())
    reasons = data.get('reasons', {})
    tests = {}
    for nodeid, value in data.get('tests', {}).items():
        status, _, group = value.partition(': ')
        if status not in STATUSES or (status == 'pass') != (group == ''):
            raise ValueError(f'{path.name}: {nodeid}: "{value}" is not "pass", "fail: GROUP" or "not-server-fit: GROUP"')
        tests[nodeid] = (status, group)
    return data, reasons, tests


def write_expectations(path, data, tests):
    """The file, one test a line (sorted), so that its diffs read as the changes they are."""
    lines = ['{']
    for key, value in data.items():
        if key != 'tests':
            text = json.dumps(value, indent=2, ensure_ascii=False).replace('\n', '\n  ')
            lines.append(f'  {json.dumps(key)}: {text},')
    entries = [f'    {json.dumps(nodeid)}: {json.dumps(fmt((status, group)))}'
               for nodeid, (status, group) in sorted(tests.items())]
    lines += ['  "tests": {', ',\n'.join(entries), '  }', '}']
    path.write_text('\n'.join(lines) + '\n')


def fmt(entry):
    if entry is None:
        return '(none)'
    status, group = entry
    return status if status == 'pass' else f'{status}: {group}'


def compare(tests, reasons, seen, outcomes, selected_only):
    """The problems that fail the run, and the notes (listed failures that now pass)."""
    problems, notes = [], []
    for nodeid in seen:
        if nodeid not in tests:
            problems.append(f'new test (no entry; this run: {outcomes.get(nodeid, ("not run",))[0]}): {nodeid}')
            continue
        status, group = tests[nodeid]
        got, message = outcomes.get(nodeid, ('not run', ''))
        if status == 'pass' and got != 'pass':
            problems.append(f'was pass, now {got}: {nodeid}\n      {message}')
        elif status == 'fail' and got == 'pass':
            notes.append(f'NOW PASSES (listed fail: {group}): update the expectations (MOTO_SUITE_UPDATE=1): {nodeid}')
    if not selected_only:
        problems += [f"gone (listed, not in moto's suite): {nodeid}" for nodeid in tests if nodeid not in seen]
    todo = sorted(nodeid for nodeid, (_, group) in tests.items() if group == TODO)
    if todo:
        problems.append(f'{len(todo)} test(s) with reason TODO: give each a reason of "reasons"\n      ' + '\n      '.join(todo))
    used = {}
    for status, group in tests.values():
        if status != 'pass' and group != TODO:
            used.setdefault(group, set()).add(status)
    for group, statuses in sorted(used.items()):
        reason = reasons.get(group)
        if reason is None:
            problems.append(f'reason "{group}" is used but not in "reasons"')
        elif kind_of(reason) is None:
            problems.append(f'reason "{group}" does not begin with its kind ({", ".join(KINDS)}, then ":")')
        elif (kind_of(reason) == 'not server-fit') != (statuses == {'not-server-fit'}):
            problems.append(f'reason "{group}": only not-server-fit tests have a "not server-fit:" reason, and only that one')
    problems += [f'reason "{group}" is in "reasons" but no test has it' for group in sorted(set(reasons) - set(used))]
    return problems, notes


def updated(tests, collected, outcomes):
    """The expectations this run gives: passes `pass`, failures keep their reason (new ones `fail: TODO`)."""
    out = {}
    for nodeid in collected:
        status, group = tests.get(nodeid, (None, None))
        if status == 'not-server-fit':
            out[nodeid] = (status, group)
        elif outcomes.get(nodeid, ('not run',))[0] == 'pass':
            out[nodeid] = ('pass', '')
        else:
            out[nodeid] = ('fail', group if status == 'fail' else TODO)
    return out


def summary(tests, reasons, seen, outcomes):
    """The number passed, and the summary lines: by kind of reason, then by reason."""
    ran = [nodeid for nodeid in seen if tests.get(nodeid, ('',))[0] != 'not-server-fit']
    passed = sum(1 for nodeid in ran if outcomes.get(nodeid, ('',))[0] == 'pass')
    failed = [nodeid for nodeid in ran if outcomes.get(nodeid, ('',))[0] != 'pass']
    groups = Counter(tests[nodeid][1] for nodeid in failed if tests.get(nodeid, ('',))[0] == 'fail')
    unexpected = len(failed) - sum(groups.values())
    kinds = Counter()
    for group, count in groups.items():
        kinds[KINDS.get(kind_of(reasons.get(group, '')), 'no reason')] += count
    by_kind = ', '.join(f'{kind} {count}' for kind, count in kinds.most_common())
    by_group = ', '.join(f'{group} {count}' for group, count in groups.most_common())
    line = (f'moto KMS suite: {passed} passed, {sum(groups.values())} expected failures'
            f'{f" ({by_kind})" if by_kind else ""}'
            f'{f", {unexpected} unexpected failures" if unexpected else ""}, {len(seen) - len(ran)} not server-fit')
    return passed, [line, f'moto KMS suite: expected failures by reason: {by_group or "none"}']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--app', required=True, help='a folder whose node_modules holds the installed kms-wasm')
    ap.add_argument('--tests', default=str(Path(sys.prefix) / 'moto-tests'), help="moto's test tree (holding tests/test_kms)")
    ap.add_argument('--expected', default=str(HERE / 'moto-kms-expected.json'))
    ap.add_argument('--work', default=str(HERE.parent / '.work/moto-kms'))
    ap.add_argument('--counts', help='write {"passed", "failed"} here')
    ap.add_argument('-k', dest='select', help="pytest's -k: run only these tests")
    ap.add_argument('--tb', default='no', help="pytest's own report, with tracebacks in this style (line, short, long)")
    args = ap.parse_args()
    update = os.environ.get('MOTO_SUITE_UPDATE') == '1'
    if update and args.select:
        ap.error('MOTO_SUITE_UPDATE=1 rewrites every expectation: run it without -k')

    tests_dir = Path(args.tests).resolve()
    if not (tests_dir / 'tests/test_kms').is_dir():
        sys.exit(f'moto-kms: no moto tests at {tests_dir}/tests/test_kms (scripts/setup-python.sh extracts them)')
    expected = Path(args.expected).resolve()
    data, reasons, tests = parse_expectations(expected)
    work = Path(args.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    serve = Serve(os.path.abspath(args.app), work)
    # moto reads these when the tests import it (during collection, below).
    os.environ.update({
        'TEST_SERVER_MODE': 'true',
        'TEST_SERVER_MODE_ENDPOINT': serve.url,
        'MOTO_CALL_RESET_API': 'false',  # serve is restarted instead (Plugin.pytest_runtest_setup)
        'AWS_CONFIG_FILE': os.devnull,
        'AWS_SHARED_CREDENTIALS_FILE': os.devnull,
        'AWS_EC2_METADATA_DISABLED': 'true',
    })
    for name in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_REGION', 'AWS_REGION'):
        os.environ.pop(name, None)

    unfit = {nodeid for nodeid, (status, _) in tests.items() if status == 'not-server-fit'}
    plugin = Plugin(serve, unfit)
    pytest_args = ['tests/test_kms', '--rootdir', str(tests_dir), '-c', os.devnull, '-p', 'no:cacheprovider']
    if args.tb == 'no':
        # pytest's own report is off: its closing line ("120 failed, 82 passed") would count the
        # expected failures as failures. The comparison below reports instead.
        pytest_args += ['-p', 'no:terminal']
    else:
        pytest_args += [f'--tb={args.tb}', '--color=no']
    if args.select:
        pytest_args += ['-k', args.select]
    started = time.monotonic()
    os.chdir(tests_dir)
    try:
        code = pytest.main(pytest_args, plugins=[plugin])
    finally:
        serve.stop()
    seconds = time.monotonic() - started
    (work / 'results.json').write_text(json.dumps(plugin.outcomes, indent=1, ensure_ascii=False))
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.collected:
        print(f'moto-kms: FAIL pytest ended with {code!r} after collecting {len(plugin.collected)} tests')
        write_counts(args.counts, 0, 1)
        return 1

    if update:
        new = updated(tests, plugin.collected, plugin.outcomes)
        changes = [f'  {nodeid}: {fmt(tests.get(nodeid))} -> {fmt(new.get(nodeid))}'
                   for nodeid in sorted(set(tests) | set(new)) if tests.get(nodeid) != new.get(nodeid)]
        used = {group for status, group in new.values() if status != 'pass'}
        data['reasons'] = {group: text for group, text in reasons.items() if group in used}
        write_expectations(expected, data, new)
        print(f'moto-kms: MOTO_SUITE_UPDATE=1: {len(changes)} change(s) written to {expected}')
        print('\n'.join(changes))
        tests, reasons = new, data['reasons']

    # With -k, only the tests run are compared.
    seen = plugin.selected if args.select else plugin.collected
    problems, notes = compare(tests, reasons, seen, plugin.outcomes, bool(args.select))
    passed, lines = summary(tests, reasons, seen, plugin.outcomes)
    for note in notes:
        print(f'moto-kms: {note}')
    for problem in problems:
        print(f'moto-kms: FAIL {problem}')
    print(f'{lines[0]} ({seconds:.0f}s, {serve.starts} servers)')
    print(lines[1])
    write_counts(args.counts, passed, len(problems))
    return 1 if problems else 0


def write_counts(path, passed, failed):
    if path:
        Path(path).write_text(json.dumps({'passed': passed, 'failed': failed}))


if __name__ == '__main__':
    sys.exit(main())
