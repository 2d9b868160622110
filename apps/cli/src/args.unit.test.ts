// The command-line grammar: what each command accepts, and that everything else is refused before
// anything runs (a typo must not turn a dry run into a real apply, nor `destroy a b` destroy only a).
import { describe, expect, it } from 'vitest';
import { COMMANDS, HELP, parseArgs, UsageError } from './args.js';

const refused = (argv: string[]): string => {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('accepted command lines', () => {
  it('positionals, flags and valued options of each command', () => {
    const apply = parseArgs(['apply', 'lab.yaml', '--dry-run', '--json']);
    expect(apply.command).toBe('apply');
    expect(apply.positional).toEqual(['lab.yaml']);
    expect([...apply.flags]).toEqual(['dry-run', 'json']);
    expect(parseArgs(['apply', '-']).positional).toEqual(['-']); // stdin
    const serve = parseArgs(['serve', '--port', '8080', '--host=0.0.0.0']);
    expect(Object.fromEntries(serve.options)).toEqual({ port: '8080', host: '0.0.0.0' });
    const tls = parseArgs(['serve', '--tls-cert', 'c.pem', '--tls-key=k.pem']);
    expect(Object.fromEntries(tls.options)).toEqual({ 'tls-cert': 'c.pem', 'tls-key': 'k.pem' });
    const start = parseArgs(['scenario', 'start', '--lab', 'mine', 'link-down']);
    expect(start.command).toBe('scenario start');
    expect(start.positional).toEqual(['link-down']);
    expect(start.options.get('lab')).toBe('mine');
  });

  it('everything after -- verbatim, for exec and shell', () => {
    const exec = parseArgs(['exec', 'lab', 'web', '--', 'ping', '-c', '1', '--json', 'x;y']);
    expect(exec.positional).toEqual(['lab', 'web']);
    expect(exec.rest).toEqual(['ping', '-c', '1', '--json', 'x;y']);
    expect(exec.flags.size).toBe(0);
    expect(parseArgs(['shell', 'lab', 'web']).rest).toEqual([]);
  });

  it('--help or -h anywhere asks for the help, whatever else is on the line', () => {
    expect(parseArgs(['apply', 'a', 'b', '-n', '--help']).help).toBe(true);
    expect(parseArgs(['-h']).help).toBe(true);
    expect(parseArgs([]).command).toBeUndefined();
  });
});

describe('refused command lines', () => {
  it('short options (none exist): apply lab.yaml -n does not apply', () => {
    expect(refused(['apply', 'lab.yaml', '-n'])).toMatch(
      /apply has no option -n: options are spelled out, this command takes --dry-run, --json, --verbose/,
    );
    expect(refused(['list', '-j'])).toMatch(/list has no option -j/);
  });

  it('extra arguments: destroy a b destroys nothing', () => {
    expect(refused(['destroy', 'a', 'b'])).toBe('destroy takes NAME; unexpected "b" (usage: patchbay destroy NAME)');
    expect(refused(['list', 'all'])).toMatch(/list takes no arguments; unexpected "all"/);
    expect(refused(['scenario', 'check', 'a', 'b'])).toMatch(/scenario check takes NAME; unexpected "b"/);
  });

  it('options a command does not have: scenario solve --json', () => {
    expect(refused(['scenario', 'solve', 'lab', '--json'])).toBe(
      'scenario solve has no option --json (see patchbay --help)',
    );
    expect(refused(['apply', 'lab.yaml', '--dryrun'])).toBe('apply has no option --dryrun (see patchbay --help)');
    expect(refused(['apply', 'lab.yaml', '--lab', 'x'])).toMatch(/apply has no option --lab/);
  });

  it('missing arguments and values', () => {
    expect(refused(['state'])).toBe('usage: patchbay state NAME [--json]');
    expect(refused(['exec', 'lab', 'web'])).toBe('usage: patchbay exec NAME NODE -- CMD…');
    expect(refused(['exec', 'lab', 'web', '--'])).toBe('usage: patchbay exec NAME NODE -- CMD…');
    expect(refused(['serve', '--port'])).toMatch(/--port needs a value/);
    expect(refused(['serve', '--port='])).toMatch(/--port needs a value/);
    expect(refused(['serve', '--port', '--host', 'x'])).toMatch(/--port needs a value/);
    expect(refused(['scenario'])).toMatch(/^usage: patchbay scenario list/);
  });

  it('values where none belong, repeated options, a command after -- where none runs', () => {
    expect(refused(['list', '--json=yes'])).toBe('--json takes no value (got --json=yes)');
    expect(refused(['serve', '--port', '1', '--port', '2'])).toBe('--port is given twice');
    expect(refused(['destroy', 'lab', '--', 'rm'])).toMatch(/destroy takes no command after --/);
  });

  it('unknown commands and subcommands', () => {
    expect(refused(['aply', 'lab.yaml'])).toBe('unknown command "aply" (see patchbay --help)');
    expect(refused(['scenario', 'run', 'x'])).toMatch(/scenario has no subcommand "run"/);
    expect(refused(['--json'])).toMatch(/--json needs a command first/);
  });
});

describe('the help', () => {
  it('shows every command of the grammar with its usage', () => {
    for (const [name, g] of Object.entries(COMMANDS)) {
      expect(HELP, name).toContain(`  ${g.usage.replace(/^patchbay /, '')}`.split(' [')[0]!);
    }
  });
});
