import type { ReactNode } from 'react';
import type { EntryRow, TaskSummaryRow, VerdictRow } from '../explorer.repository';
import { accountParts, checkOutcomeName, short, taskStatusName, time, units } from './format';

export function Layout(props: { title: string; children: ReactNode; live?: boolean }): ReactNode {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Aegis explorer`}</title>
        <link rel="stylesheet" href="/static/explorer.css" />
        <link rel="icon" href="data:," />
        <script src="/static/htmx.min.js" defer></script>
        {props.live ? <script src="/static/live.js" defer></script> : null}
      </head>
      <body>
        <header>
          <a className="brand" href="/">
            Aegis explorer
          </a>
          <form action="/search" method="get" className="search" role="search">
            <input type="search" name="q" placeholder="task hash, dispute id or node address (0x…)" aria-label="search" required />
            <button type="submit">Search</button>
          </form>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function Section(props: { title: string; id?: string; children: ReactNode }): ReactNode {
  return (
    <section id={props.id}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function Empty(props: { children: ReactNode }): ReactNode {
  return <p className="empty">{props.children}</p>;
}

export function TaskLink(props: { hash: string; full?: boolean }): ReactNode {
  return (
    <a className="hash" href={`/tasks/${props.hash}`} title={props.hash}>
      {props.full ? props.hash : short(props.hash)}
    </a>
  );
}

export function NodeLink(props: { address: string | null; full?: boolean }): ReactNode {
  if (props.address === null) return <span>—</span>;
  return (
    <a className="hash" href={`/nodes/${props.address}`} title={props.address}>
      {props.full ? props.address : short(props.address)}
    </a>
  );
}

export function DisputeLink(props: { id: string; full?: boolean }): ReactNode {
  return (
    <a className="hash" href={`/disputes/${props.id}`} title={props.id}>
      {props.full ? props.id : short(props.id)}
    </a>
  );
}

export function Status(props: { status: number }): ReactNode {
  const name = taskStatusName(props.status);
  return <span className={`status status-${name.toLowerCase()}`}>{name}</span>;
}

/** An account id, its owner linked: a node's accounts to its page, a dispute's pool to the dispute. */
export function Account(props: { id: string }): ReactNode {
  const { kind, owner } = accountParts(props.id);
  if (kind === 'free' || kind === 'stake' || kind === 'unbonding') {
    return (
      <span>
        {kind}:<NodeLink address={owner} />
      </span>
    );
  }
  if (kind === 'pool') {
    return (
      <span>
        pool:
        <DisputeLink id={owner} />
      </span>
    );
  }
  if (kind === 'escrow') {
    return (
      <span>
        escrow:
        <TaskLink hash={owner} />
      </span>
    );
  }
  return <span>{props.id}</span>;
}

export function Amount(props: { amount: string }): ReactNode {
  return <span className={props.amount.startsWith('-') ? 'amount debit' : 'amount credit'}>{units(props.amount)}</span>;
}

export function Definitions(props: { rows: [string, ReactNode][] }): ReactNode {
  return (
    <dl>
      {props.rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function TaskRows(props: { tasks: TaskSummaryRow[] }): ReactNode {
  return (
    <>
      {props.tasks.map((t) => (
        <tr key={t.taskHash}>
          <td>
            <TaskLink hash={t.taskHash} />
          </td>
          <td>{t.modelId}</td>
          <td>
            <Status status={t.status} />
          </td>
          <td>
            <NodeLink address={t.node} />
          </td>
          <td>{time(t.submittedAt)}</td>
        </tr>
      ))}
    </>
  );
}

export function TaskTable(props: { tasks: TaskSummaryRow[]; refresh?: string }): ReactNode {
  if (props.tasks.length === 0 && props.refresh === undefined) return <Empty>No tasks.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th>task</th>
          <th>model</th>
          <th>status</th>
          <th>node</th>
          <th>submitted</th>
        </tr>
      </thead>
      {/* htmx re-reads the rows on its own (hx-trigger every N s): the table stays current without a reload. */}
      <tbody id="recent-tasks" {...(props.refresh ? { 'hx-get': props.refresh, 'hx-trigger': 'every 3s', 'hx-swap': 'innerHTML' } : {})}>
        <TaskRows tasks={props.tasks} />
      </tbody>
    </table>
  );
}

export function VerdictTable(props: { verdicts: VerdictRow[]; showTask?: boolean }): ReactNode {
  if (props.verdicts.length === 0) return <Empty>No verdicts.</Empty>;
  return (
    <table className="verdicts">
      <thead>
        <tr>
          {props.showTask ? <th>task</th> : null}
          <th>verifier</th>
          <th>verdict</th>
          <th>PoW check</th>
          <th>audited</th>
          <th>received</th>
        </tr>
      </thead>
      <tbody>
        {props.verdicts.map((v) => (
          <tr key={`${v.submissionId}/${v.verifier}`}>
            {props.showTask ? (
              <td>
                <TaskLink hash={v.taskHash} />
              </td>
            ) : null}
            <td>
              <NodeLink address={v.verifier} />
            </td>
            <td className={`verdict verdict-${v.kind.toLowerCase()}`}>{v.kind}</td>
            <td className={`check check-${checkOutcomeName(v.outcome).toLowerCase()}`}>{checkOutcomeName(v.outcome)}</td>
            <td>{v.audited ? 'yes' : 'no'}</td>
            <td>{time(v.receivedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * What a ledger command was for, from its idempotency key: the tallier keys its commands by the
 * submission (result digest) they settle, ingress its escrows by the task. Search resolves a
 * result digest to its dispute when it was disputed, else to its task.
 */
function CausedBy(props: { commandKey: string }): ReactNode {
  const submission = /^(0x[0-9a-f]{64})\//.exec(props.commandKey)?.[1];
  if (submission) {
    return (
      <a className="hash" href={`/search?q=${submission}`} title={props.commandKey}>
        result {short(submission)}
      </a>
    );
  }
  const task = /^(?:refund-escrow\/)?escrow:(0x[0-9a-f]{64})$/.exec(props.commandKey)?.[1];
  if (task) return <TaskLink hash={task} />;
  return <span title={props.commandKey}>{props.commandKey.length > 40 ? `${props.commandKey.slice(0, 40)}…` : props.commandKey}</span>;
}

export function EntryTable(props: { entries: EntryRow[]; balance?: (e: EntryRow) => string }): ReactNode {
  if (props.entries.length === 0) return <Empty>No ledger entries.</Empty>;
  return (
    <table className="entries">
      <thead>
        <tr>
          <th>command</th>
          <th>account</th>
          <th>amount</th>
          {props.balance ? <th>balance after</th> : null}
          <th>for</th>
          <th>at</th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((e) => (
          <tr key={e.id} className={`entry entry-${e.kind}`}>
            <td title={e.commandKey}>{e.kind}</td>
            <td>
              <Account id={e.account} />
            </td>
            <td>
              <Amount amount={e.amount} />
            </td>
            {props.balance ? <td>{units(props.balance(e))}</td> : null}
            <td>
              <CausedBy commandKey={e.commandKey} />
            </td>
            <td>{time(e.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
