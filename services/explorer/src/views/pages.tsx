import type { ReactNode } from 'react';
import type { Counters, DisputeDetail, DisputeRow, EntryRow, NodeDetail, Overview, TaskDetail, VerdictRow } from '../explorer.repository';
import type { DecodedSpec } from '../explorer.text';
import {
  Amount,
  Definitions,
  DisputeLink,
  Empty,
  EntryTable,
  Layout,
  NodeLink,
  Section,
  Status,
  TaskLink,
  TaskTable,
  VerdictTable,
} from './components';
import { short, time, units } from './format';

const COUNTERS: [keyof Counters, string][] = [
  ['tasks', 'tasks'],
  ['inFlight', 'in flight'],
  ['accepted', 'accepted'],
  ['rejected', 'rejected'],
  ['verdicts', 'verdicts'],
  ['disputes', 'disputes'],
  ['openDisputes', 'open disputes'],
  ['liquidations', 'liquidations'],
  ['activeNodes', 'active nodes'],
  ['staked', 'staked (base units)'],
];

/** The numbers live.js keeps current from /events (server-sent events), matched by data-counter. */
export function CounterGrid(props: { counters: Counters }): ReactNode {
  return (
    <div className="counters" id="counters">
      {COUNTERS.map(([key, label]) => (
        <div className="counter" key={key}>
          <span className="value" data-counter={key}>
            {key === 'staked' ? units(props.counters.staked) : String(props.counters[key])}
          </span>
          <span className="label">{label}</span>
        </div>
      ))}
      <p className="live-state">
        live: <span id="live-state">connecting</span>
      </p>
    </div>
  );
}

function DisputeTable(props: { disputes: DisputeRow[] }): ReactNode {
  if (props.disputes.length === 0) return <Empty>No disputes.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th>dispute</th>
          <th>accused</th>
          <th>opened</th>
          <th>resolved</th>
          <th>outcome</th>
        </tr>
      </thead>
      <tbody>
        {props.disputes.map((d) => (
          <tr key={d.disputeId}>
            <td>
              <DisputeLink id={d.disputeId} />
            </td>
            <td>
              <NodeLink address={d.accused} />
            </td>
            <td>{time(d.openedAt)}</td>
            <td>{time(d.resolvedAt)}</td>
            <td className={`outcome outcome-${(d.outcome ?? 'open').toLowerCase()}`}>{d.outcome ?? 'open'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OverviewPage(props: { overview: Overview }): ReactNode {
  const { overview } = props;
  return (
    <Layout title="Network overview" live>
      <CounterGrid counters={overview.counters} />
      <Section title="Latest tasks" id="tasks">
        <TaskTable tasks={overview.tasks} refresh="/fragments/recent-tasks" />
      </Section>
      <Section title="Disputes" id="disputes">
        <DisputeTable disputes={overview.disputes} />
      </Section>
      <Section title="Nodes" id="nodes">
        {overview.nodes.length === 0 ? (
          <Empty>No staked nodes.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>node</th>
                <th>staked (base units)</th>
              </tr>
            </thead>
            <tbody>
              {overview.nodes.map((n) => (
                <tr key={n.address} className={n.staked === '0' ? 'liquidated' : ''}>
                  <td>
                    <NodeLink address={n.address} full />
                  </td>
                  <td>{n.staked === '0' ? '0 (liquidated or fully unstaked)' : units(n.staked)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </Layout>
  );
}

function TextBlock(props: { text: string | null; tokens: number[] }): ReactNode {
  return (
    <>
      {props.text !== null ? (
        <pre className="text">{props.text}</pre>
      ) : (
        <p className="empty">(this explorer has no tokenizer for the model: token ids only)</p>
      )}
      <details>
        <summary>{props.tokens.length} token ids</summary>
        <code className="tokens">{props.tokens.join(' ')}</code>
      </details>
    </>
  );
}

export interface TaskPageProps {
  readonly detail: TaskDetail;
  readonly spec: DecodedSpec | null;
  readonly prompt: string | null;
  readonly answer: string | null;
  /** Each counted result's answer, by submission id. */
  readonly submitted: { submissionId: string; tokens: number[]; text: string | null }[];
}

export function TaskPage(props: TaskPageProps): ReactNode {
  const { task, timeline, submissions, verdicts, refused, entries, disputes } = props.detail;
  const spec = props.spec;
  return (
    <Layout title={`Task ${short(task.taskHash)}`}>
      <Definitions
        rows={[
          ['task hash', <code key="h">{task.taskHash}</code>],
          ['status', <Status key="s" status={task.status} />],
          ['model', task.modelId],
          ['client', <code key="c">{task.client}</code>],
          ['fee (base units)', units(task.fee)],
          ['submitted', time(task.submittedAt)],
          ['max new tokens', spec ? String(spec.maxNewTokens) : '—'],
          ['top-k', spec ? String(spec.topK) : '—'],
          ['temperature', spec ? (spec.temperatureMilli / 1000).toFixed(3) : '—'],
          ['stop tokens', spec ? spec.stopTokens.join(' ') || 'none' : '—'],
          ['nonce', spec ? spec.nonce : '—'],
        ]}
      />
      <Section title="Prompt" id="prompt">
        <TextBlock text={props.prompt} tokens={spec?.promptTokens ?? []} />
      </Section>
      <Section title="Answer" id="answer">
        {task.outputTokens.length > 0 ? (
          <TextBlock text={props.answer} tokens={task.outputTokens} />
        ) : (
          <Empty>{submissions.length === 0 ? 'No answer yet.' : 'No answer accepted; what the node submitted is under Results.'}</Empty>
        )}
      </Section>
      <Section title="Status timeline" id="timeline">
        {timeline.length === 0 ? (
          <Empty>No status changes recorded.</Empty>
        ) : (
          <ol className="timeline">
            {timeline.map((c) => (
              <li key={`${c.status}/${c.sequence}`}>
                <time>{time(c.changedAt)}</time> <Status status={c.status} />
                {c.node ? (
                  <>
                    {' '}
                    by <NodeLink address={c.node} />
                  </>
                ) : null}
                {c.detail ? <span className="detail"> {c.detail}</span> : null}
              </li>
            ))}
          </ol>
        )}
      </Section>
      <Section title="Results" id="results">
        {submissions.length === 0 ? (
          <Empty>No result counted yet.</Empty>
        ) : (
          submissions.map((s) => (
            <Definitions
              key={s.submissionId}
              rows={[
                ['node', <NodeLink key="n" address={s.submitter} full />],
                ['result digest', <code key="d">{s.submissionId}</code>],
                ['phase', s.phase],
                ['tally rule', s.tally],
                [
                  'selected verifiers',
                  <span key="v">
                    {(s.state.selectedVerifiers ?? []).map((v) => (
                      <NodeLink key={v} address={v} />
                    ))}
                  </span>,
                ],
                [
                  'answer submitted',
                  <TextBlock
                    key="t"
                    text={props.submitted.find((a) => a.submissionId === s.submissionId)?.text ?? null}
                    tokens={props.submitted.find((a) => a.submissionId === s.submissionId)?.tokens ?? []}
                  />,
                ],
                ['decision', s.state.decision ? `${s.state.decision.outcome} (${s.state.decision.n} to ${s.state.decision.m})` : 'pending'],
              ]}
            />
          ))
        )}
        {refused.length > 0 ? (
          <>
            <h3>Results not counted</h3>
            <ul>
              {refused.map((r) => (
                <li key={r.resultDigest}>
                  <NodeLink address={r.submitter} />: {r.reason} at {time(r.refusedAt)}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </Section>
      <Section title="Verdicts" id="verdicts">
        <VerdictTable verdicts={verdicts} />
      </Section>
      {disputes.length > 0 ? (
        <Section title="Disputes" id="disputes">
          <ul>
            {disputes.map((d) => (
              <li key={d.disputeId}>
                <DisputeLink id={d.disputeId} /> against <NodeLink address={d.accused} />: {d.outcome ?? 'open'}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      <Section title="Ledger entries caused" id="entries">
        <EntryTable entries={entries} />
      </Section>
    </Layout>
  );
}

function sum(entries: EntryRow[]): string {
  return entries.reduce((s, e) => s + BigInt(e.amount), 0n).toString();
}

export function NodePage(props: { detail: NodeDetail }): ReactNode {
  const d = props.detail;
  const balanceOf = new Map(d.stakeHistory.map((p) => [p.id, p.balance]));
  return (
    <Layout title={`Node ${short(d.address)}`}>
      <Definitions
        rows={[
          ['address', <code key="a">{d.address}</code>],
          ['staked', units(d.accounts.staked)],
          ['free', units(d.accounts.free)],
          ['unbonding', units(d.accounts.unbonding)],
          ['rewards', `${units(sum(d.rewards))} in ${d.rewards.length} entries`],
          ['slashed', d.slashes.length === 0 ? 'never' : `${units(sum(d.slashes).replace('-', ''))} in ${d.slashes.length} entries`],
        ]}
      />
      <Section title="Stake history" id="stake">
        <EntryTable entries={d.stakeHistory} balance={(e) => balanceOf.get(e.id) ?? ''} />
      </Section>
      <Section title="Tasks served" id="tasks">
        <TaskTable tasks={d.tasks} />
      </Section>
      <Section title="Verdicts given" id="verdicts">
        <VerdictTable verdicts={d.verdicts} showTask />
      </Section>
      <Section title="Rewards" id="rewards">
        <EntryTable entries={d.rewards} />
      </Section>
      <Section title="Slashes" id="slashes">
        <EntryTable entries={d.slashes} />
      </Section>
      <Section title="Disputes against this node" id="disputes">
        <DisputeTable disputes={d.disputes} />
      </Section>
    </Layout>
  );
}

function Side(props: { title: string; members: string[]; verdicts: VerdictRow[]; note: string }): ReactNode {
  return (
    <div className="side">
      <h3>{props.title}</h3>
      <p>{props.note}</p>
      {props.members.length === 0 ? (
        <Empty>nobody</Empty>
      ) : (
        <ul>
          {props.members.map((m) => (
            <li key={m}>
              <NodeLink address={m} full />
            </li>
          ))}
        </ul>
      )}
      {props.verdicts.length > 0 ? <VerdictTable verdicts={props.verdicts} /> : null}
    </div>
  );
}

export function DisputePage(props: { detail: DisputeDetail }): ReactNode {
  const { dispute, submission, verdicts, poolEntries, parties, ledgerOpen } = props.detail;
  const audit = submission !== null && submission.submissionId !== dispute.disputeId;
  const decision = submission?.state.decision ?? null;
  const accepting = verdicts.filter((v) => v.kind === 'ACCEPT');
  const rejecting = verdicts.filter((v) => v.kind === 'REJECT');
  const liquidations = poolEntries.filter((e) => e.kind === 'liquidate');
  const distribution = poolEntries.filter((e) => e.kind === 'distribute-pool');
  return (
    <Layout title={`Dispute ${short(dispute.disputeId)}`}>
      <Definitions
        rows={[
          ['dispute id', <code key="i">{dispute.disputeId}</code>],
          ['kind', audit ? 'audit (a verdict failed the PoW check)' : 'result (verifiers rejected the answer)'],
          ['accused', <NodeLink key="a" address={dispute.accused} full />],
          ['task', submission ? <TaskLink key="t" hash={submission.taskHash} full /> : '—'],
          ['opened', time(dispute.openedAt)],
          ['resolved', time(dispute.resolvedAt)],
          [
            'outcome',
            <span key="o" className={`outcome outcome-${(dispute.outcome ?? 'open').toLowerCase()}`}>
              {dispute.outcome ?? 'open'}
            </span>,
          ],
          ['ledger', ledgerOpen === null ? 'not in the ledger' : ledgerOpen ? 'open (parties frozen)' : 'closed'],
          ['parties', String(parties.length)],
        ]}
      />
      <Section title="Both sides" id="sides">
        {audit ? (
          <div className="sides">
            <Side
              title="Accused verifier"
              members={[dispute.accused]}
              verdicts={verdicts.filter((v) => v.verifier === dispute.accused)}
              note="Its verdict's proof of work did not check out."
            />
            <Side title="The PoW checker" members={[]} verdicts={[]} note="Recomputed the verifier's work and found it wrong." />
          </div>
        ) : (
          <div className="sides">
            <Side
              title="For the result"
              members={[dispute.accused, ...accepting.map((v) => v.verifier)]}
              verdicts={accepting}
              note="The node that served it and the verifiers who accepted it."
            />
            <Side
              title="Against the result"
              members={rejecting.map((v) => v.verifier)}
              verdicts={rejecting}
              note="The verifiers who rejected it."
            />
          </div>
        )}
      </Section>
      <Section title="Tally" id="tally">
        {decision ? (
          <Definitions
            rows={[
              ['outcome', decision.outcome],
              ['sides', `${decision.n} on the winning side, ${decision.m} on the losing side`],
              ['active nodes', String(decision.activeNodes)],
              [
                'winners',
                <span key="w">
                  {decision.winners.map((w) => (
                    <NodeLink key={w} address={w} />
                  ))}
                </span>,
              ],
              [
                'losers',
                <span key="l">
                  {decision.losers.map((l) => (
                    <NodeLink key={l} address={l} />
                  ))}
                </span>,
              ],
              ['decided', `${time(decision.decidedAt)}${decision.final ? ' (by the larger side, extensions spent)' : ''}`],
            ]}
          />
        ) : (
          <Empty>{audit ? 'An audit dispute is decided by the PoW check, not by a tally.' : 'Not decided yet.'}</Empty>
        )}
      </Section>
      <Section title="Liquidation" id="liquidation">
        {liquidations.length === 0 ? <Empty>No stake liquidated (yet).</Empty> : <EntryTable entries={liquidations} />}
      </Section>
      <Section title="Where the pool went" id="pool">
        {distribution.length === 0 ? (
          <Empty>The pool has not been distributed (yet).</Empty>
        ) : (
          <>
            <EntryTable entries={distribution} />
            <p>
              Paid out:{' '}
              <Amount
                amount={distribution
                  .filter((e) => !e.account.startsWith('pool:'))
                  .reduce((s, e) => s + BigInt(e.amount), 0n)
                  .toString()}
              />{' '}
              base units.
            </p>
          </>
        )}
      </Section>
    </Layout>
  );
}

export function ErrorPage(props: { status: number; message: string }): ReactNode {
  const title = props.status === 404 ? 'Not found' : props.status === 400 ? 'Bad request' : 'Error';
  return (
    <Layout title={`${props.status} ${title}`}>
      <p className="error" id="error-message">
        {props.message}
      </p>
      <p>
        <a href="/">Back to the overview</a>
      </p>
    </Layout>
  );
}
