/* zhitong web console (issue 12): plain JavaScript, no framework, no
 * build step, nothing fetched from elsewhere. It calls the service's own
 * /v1 endpoints with the session's cookie and, on every change, its CSRF
 * token (X-CSRF-Token). The endpoints decide who may do what (403); the
 * console only shows each role the pages and buttons its role allows
 * ("may" of GET /console/session, from the access table). All text from
 * the server goes into the page as text (textContent), never as HTML. */
'use strict';

const state = { who: null, csrf: null, may: new Set(), today: null };

/* ---- small helpers --------------------------------------------------------- */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const $ = (id) => document.getElementById(id);
const may = (op) => state.may.has(op);

/* Amounts travel as text with two decimals ("10500.00"): summed as integer
 * fen, never as floating-point yuan. */
function fen(text) {
  if (text === null || text === undefined || text === '') return 0;
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(text));
  if (!m) return 0;
  const v = Number(m[2]) * 100 + Number((m[3] || '0').padEnd(2, '0'));
  return m[1] ? -v : v;
}
function yuan(f) {
  const neg = f < 0;
  const a = Math.abs(f);
  const int = Math.floor(a / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + int + '.' + String(a % 100).padStart(2, '0');
}
function pct(part, whole) {
  if (!whole) return '—';
  return (Math.round((part * 1000) / whole) / 10).toFixed(1) + '%';
}
function dateAdd(iso, days) {
  const d = new Date(iso + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
/* "2026-12-02T13:28:11Z" or "...+08:00" → the pool's local "2026-12-02 21:28" */
function when(t) {
  if (!t) return '';
  const d = new Date(t);
  if (isNaN(d)) return String(t);
  const local = new Date(d.getTime() + 8 * 3600 * 1000);
  return local.toISOString().slice(0, 16).replace('T', ' ');
}
function poolDay(t) { return when(t).slice(0, 10); }

const ROLE_ZH = { desk: '医院窗口', 'fund-admin': '基金管理员', finance: '财务', auditor: '审计', admin: '系统管理员' };
const KIND_ZH = { settle: '结算', reverse: '冲销', reversal: '冲销' };
/* The national fund_pay_type codes the pools use; the registry's own names
 * are on the slip. */
const FUND_ZH = {
  '310100': '职工基本医疗保险统筹基金', '310200': '职工大额医疗费用补助',
  '390100': '城乡居民基本医疗保险基金', '390200': '城乡居民大病保险资金',
  '610100': '城乡医疗救助基金', '610103': '卫生扶贫救助基金', '610104': '疾病应急救助基金',
  '620100': '政府兜底', '999999': '其他基金'
};
const FIELD_ZH = {
  setl_id: '结算号', setl_time: '结算时间', kind: '类型', fixmedins_code: '医疗机构编码', claim_no: '住院号',
  psn_no: '人员编号', adm_date: '入院日期', dscg_date: '出院日期', dscg_maindiag_code: '主要诊断',
  medfee_sumamt: '医疗费用总额', fulamt_ownpay_amt: '全自费金额', overlmt_selfpay: '超限价自付',
  preselfpay_amt: '先行自付金额', inscp_scp_amt: '政策范围内金额', act_pay_dedc: '实际起付线',
  pool_prop_selfpay: '基本医保统筹支付比例', hifp_pay: '基本医保统筹基金支出', hifmi_pay: '大病保险支出',
  maf_pay: '医疗救助基金支出', oth_pay: '其他支出', fund_pay_sumamt: '基金支付总额',
  hosp_part_amt: '医院负担金额', psn_part_amt: '个人负担总额', psn_cash_pay: '个人现金支付',
  reverses: '冲销的结算号', reason: '原因', fund_pay_type: '基金类型', fund_payamt: '基金支付金额',
  id: '编号', state: '状态', status: '状态', created_by: '创建人', created_at: '创建时间',
  approved_by: '审核人', fund: '基金', hospital: '医院', amount: '金额', total: '合计', count: '笔数',
  seq: '序号', time: '时间', user: '用户', operator: '经办人', action: '操作', object: '对象',
  subject: '对象', detail: '内容', age_days: '账龄（天）', note: '备注', as_of: '截至',
  advanced: '已预付', earned: '结算应得', balance: '余额',
  advancing_since: '垫付起始', fund_code: '基金编码', fund_name: '基金名称', through: '截至日期',
  period_from: '起始日期', period_to: '结束日期', plan_id: '计划编号', advance_id: '预付款编号',
  made_by: '制定人', issued_by: '拨付人', issued_at: '拨付时间', execution_date: '执行日期',
  kind_name: '类别', entry_ref: '银行流水', batch_id: '批次', since: '起始', raised_at: '列为异常时间',
  /* batches (GET /v1/batches, …/{id}, …/records) */
  batch: '批次', owes: '尚欠金额', history: '处理记录', at: '时间', actor: '操作人', status_from: '原状态',
  status_to: '新状态', info_count: '仅列示笔数', info_total: '仅列示金额', approved_at: '审核时间',
  exported_at: '导出时间', file_sha256: '支付文件摘要（SHA-256）', digest: '摘要', receipt: '付款方回执',
  accepted_total: '付款方接受金额', rejected_count: '付款方拒付笔数', paid: '已到账', returned: '已退回',
  pool: '资金池', refd_setl_flag: '退费结算标志', payable: '应付', fund_kind: '基金类别',
  reject_reason: '拒付原因', psn_name: '姓名', certno: '证件号码', added: '新增笔数', outcome: '结果',
  gateway: '通道', message: '消息', info_only: '仅列示',
  /* advances (GET /v1/advances, /v1/advance-plans) */
  msg_id: '报文标识号', window_from: '统计窗口起始', target_days: '目标天数', min_topup: '最低补拨额',
  made_at: '制定时间', issued_msg_id: '拨付报文标识号', lines: '计划明细', basis: '依据',
  window_earned: '窗口内结算应得', target: '目标额', topup: '补拨额', advances: '预付款', hospitals: '各医院',
  /* reconciliation (POST /v1/statements, /v1/exceptions, /v1/reports/reconciliation) */
  suspense: '待查款项', pool_bank: '资金专户', pools: '资金池', funds: '各基金', billed: '已申报', written_off: '已核销',
  outstanding: '未到账', ledger: '账簿', open_batches: '未结批次', oldest_sent: '最早发送时间', name: '名称',
  confirmed: '已确认', exceptions: '例外', overdue: '逾期', reported: '对账单条目', stored: '新存入',
  known: '已导入过', not_booked: '未入账', matched: '已匹配', held: '暂挂', rematched: '重新匹配',
  credit: '贷记（收入）', booking_date: '记账日期', return_id: '退回编号', raised_by: '列为例外者',
  resolved: '已处理', resolution: '处理方式', resolved_at: '处理时间', resolved_by: '处理人',
  stmt_begndate: '对账起始日期', stmt_enddate: '对账结束日期', totals: '合计', description: '说明',
  /* audit (GET /v1/audit, /v1/verify) */
  token_id: '令牌编号', client: '客户端地址', prev_hash: '前一条哈希', hash: '本条哈希', check: '检查项',
  rows: '检查行数', violations: '违规数', checks: '检查', intact: '完整', genuine: '真实', void: '已作废',
  records: '记录', code: '代码', date: '日期', year: '年度', type: '类型', role: '角色', version: '版本'
};
/* Values that are codes, ids, names of people or digests: shown as they are
 * (class code), never translated. */
const CODE_KEYS = new Set(['id', 'batch_id', 'setl_id', 'claim_no', 'psn_no', 'fixmedins_code', 'msg_id',
  'issued_msg_id', 'digest', 'file_sha256', 'hash', 'prev_hash', 'receipt', 'token_id', 'client', 'user',
  'operator', 'actor', 'created_by', 'approved_by', 'made_by', 'issued_by', 'raised_by', 'resolved_by',
  'entry_ref', 'return_id', 'plan_id', 'advance_id', 'certno', 'reverses', 'dscg_maindiag_code', 'gateway']);
/* Free text as a person or the record wrote it (a reason, a note, the audit
 * trail's details): shown as written (class raw). */
const RAW_KEYS = new Set(['reason', 'note', 'reject_reason', 'message']);
const BOOL_ZH = { true: '是', false: '否' };
/* the batch history's and the audit trail's actions (docs/batches.md, audit.md) */
const ACTION_ZH = {
  create: '创建', approve: '审核通过', reject: '驳回', reopen: '重开', export: '导出支付文件', send: '发送',
  answer: '付款方答复', accept: '付款方接受', refused: '被拒收', payment: '到账', netted: '冲抵', repay: '退回',
  load: '导入', settle: '结算', reverse: '冲销', plan: '制定计划', issue: '拨付', add: '新增', remove: '删除',
  disable: '停用', enable: '启用', password: '设置密码', locked: '登录锁定', token: '签发令牌', revoke: '吊销',
  import: '导入', resolve: '处理', match: '匹配', refund: '退款', confirm: '确认', 'write-off': '核销',
  set: '设置', login: '登录', logout: '退出登录', void: '作废', verify: '核验', raise: '列为例外', role: '更改角色'
};
const OBJECT_ZH = {
  claim: '住院', batch: '批次', user: '用户', registry: '登记册', rules: '政策规则', policy: '政策', catalog: '药品诊疗目录',
  advance: '预付款', plan: '预付计划', statement: '对账单', exception: '例外', slip: '结算单', token: '令牌', pool: '资金池',
  entry: '银行流水', return: '退回', key: '密钥', service: '服务', config: '配置'
};
/* "claim settle" → 住院 · 结算; a word without a name stays (and the browser test notices) */
const actionZh = (a) => String(a).split(' ').map((w, i, all) => (all.length > 1 && i === 0 ? OBJECT_ZH[w] : ACTION_ZH[w]) || w).join(' · ');
/* the fund shares' kinds and slots, the people's categories (a trace's words) */
const WORD_ZH = {
  basic: '基本医疗保险', critical: '大病保险', assistance: '医疗救助', relief: '兜底保障', assist: '医疗救助',
  crit_paid: '大病保险', reversal: '冲销', general: '普通人员', poor: '建档立卡贫困人口', lowinc: '低保对象',
  destitute: '特困供养人员', settle: '结算', reverse: '冲销', none: '无',
  /* reconciliation: the exceptions' kinds, the resolutions */
  amount: '金额不符', unknown: '无法对应', duplicate: '重复到账', ambiguous: '对应不明', missing: '应到未到',
  accept: '接受', match: '手工匹配', refund: '退款', 'write-off': '核销', ignore: '忽略', settled: '已结清',
  default: '默认资金池'
};
/* an advance plan line's basis (docs/advances.md) */
const BASIS_ZH = { request: '按医院申请', target: '按目标额补足', earnings: '按结算应得' };
const wordZh = (v) => {
  if (WORD_ZH[v]) return WORD_ZH[v];
  const m = /^([a-z_-]+):(.+)$/.exec(v);  /* relief:610103, match:B390100-000001 */
  return m && WORD_ZH[m[1]] ? WORD_ZH[m[1]] + ' ' + m[2] : v;
};
/* the engine's sentences a page shows: the batch history's details, the
 * exceptions' details, the checks of verify */
const SENTENCE_ZH = [
  [/^(\d+) records?$/, (m) => m[1] + ' 笔记录'],
  [/^(\d+) records? added(?:: (.*))?$/, (m) => '新增 ' + m[1] + ' 笔记录' + (m[2] ? '：' + m[2] : '')],
  [/^a credit naming no batch$/, () => '一笔未指明批次的收入'],
  [/^an entry of 0\.00$/, () => '一笔金额为 0.00 的流水'],
  [/^(-?\d+) fen(?: by (.*))?$/, (m) => yuan(Number(m[1])) + ' 元' + (m[2] ? '（' + m[2] + '）' : '')]
];
const CHECK_ZH = {
  'settlement conservation': '结算守恒（各基金、医院与个人负担之和等于费用总额）',
  'settlement funds sum up': '结算各基金之和相符',
  'reversals mirror their settlement': '冲销与原结算金额相反相等',
  'ledger balances': '总账平衡',
  'account balances equal their transfers': '各账户余额等于其转账之和',
  'money is stored as whole fen': '金额以整分存储',
  'settlements are in the ledger': '结算均已入账',
  'accumulators equal the sums of settlements': '累计额等于结算之和',
  'a claim number has at most one live settlement': '每个住院号至多一笔有效结算',
  'claims match their digest and their items': '住院申报与其摘要及明细相符',
  "the audit trail's hash chain is intact": '审计记录的哈希链完整',
  'settlements agree with their claim': '结算与其住院申报一致',
  'settlements refer to stored rows': '结算引用的记录均存在',
  'fund shares move their own accumulator': '各基金份额只计入本基金累计额',
  'fund shares carry their trace': '各基金份额均有计算过程',
  'every claim is settled once; a number is reused only after a reversal': '每笔住院只结算一次；冲销后方可重用住院号',
  'claims, settlements and transfers run without gaps': '申报、结算和转账编号连续无缺',
  'policies match their digest': '政策与其摘要相符',
  'the audit trail has no gap': '审计记录连续无缺',
  'what was done is in the audit trail': '所有操作均有审计记录',
  'every other reference resolves': '其他引用均可解析',
  "the schema's guards are in place": '数据库约束齐全',
  'each advance has exactly one transfer of its amount': '每笔预付款恰有一笔等额转账',
  'every advance transfer belongs to an advance': '每笔预付款转账都属于一笔预付款',
  'a plan is issued at most once, whole, as approved': '预付计划至多拨付一次，按审核内容全额拨付',
  'plan lines are never negative and follow the top-up rule': '计划明细不为负且符合补拨规则',
  'the maker of an advance is not its approver': '预付款的制定人不是其审核人',
  'each claim share is in at most one batch': '每笔基金份额至多在一个批次中',
  'every share of a batch exists': '批次中的每笔份额都存在',
  'each batch total equals the sum of its records': '批次合计等于其明细之和',
  'a record left out of a total reverses a record the payer rejected': '未计入合计的记录均冲销付款方拒付的记录',
  'batch status changes are recorded': '批次状态变化均有记录',
  'no batch is accepted or paid beyond what it billed': '批次接受或到账金额不超过申报金额',
  'money returned to a fund is its returns, each booked once': '退回基金的款项即其退回记录，各记账一次',
  "each fund's billed, paid, written off and returned add up": '各基金已申报、已到账、已核销与已退回相符',
  'each bank entry matches at most one thing': '每笔银行流水至多匹配一项',
  "each batch's paid is what was matched to it": '批次已到账金额等于匹配给它的流水',
  "each batch's status agrees with what it was paid": '批次状态与到账情况一致',
  "each bank entry is booked once, and its payments reach its batches' funds": '每笔银行流水只记账一次，款项进入对应批次的基金',
  'every reconciliation transfer has its bank entry or decision': '每笔对账转账都有银行流水或处理决定',
  'exceptions are resolved at most once, and as they say': '例外至多处理一次，且与处理方式一致',
  'suspense:bank holds exactly the unexplained entries': '待查账户恰好等于未解释的流水',
  'settlements used the policy and catalogue in force': '结算使用了当时有效的政策和目录'
};
const sentenceZh = (t) => {
  for (const [re, f] of SENTENCE_ZH) { const m = re.exec(t); if (m) return f(m); }
  return null;
};
const TRACE_ZH = {
  kind: '类别', inscp: '政策范围内', 'hospital-level': '医院等级', 'level-deductible': '等级起付线',
  'level-ratio': '等级报销比例', adjust: '倾斜政策', 'deductible-factor': '起付线系数',
  'ratio-bonus': '比例上浮', deductible: '起付线', ratio: '比例', act_pay_dedc: '实际起付线',
  raw: '计算额', 'annual-cap': '年度封顶', 'paid-before': '此前已付', 'paid-after': '支付后累计',
  pay: '本次支付', category: '人员类别', base: '计算基数', 'preselfpay-added': '计入先行自付',
  name: '名称', 'cap-ratio': '个人自付封顶比例', psn0: '兜底前个人负担', target: '封顶额',
  'gap-before': '兜底差额', 'gap-after': '兜底后差额', of: '冲销的结算号', reason: '原因', slot: '支付项'
};
const zh = (k, map) => (map || FIELD_ZH)[k] || k;
const isMoneyKey = (k) => /(amt|amount|_pay|pay$|payamt|sumamt|dedc|selfpay|total|sum|inscp|raw|cap$|base|paid|target|gap|psn0|deductible|billed|written_off|returned|outstanding|ledger|advanced|earned|balance|owes|suspense|pool_bank|topup)/.test(k) && !/ratio|factor|level$/.test(k);

/* ---- the service ------------------------------------------------------------ */

class ApiError extends Error {
  constructor(status, body, path) {
    super((body && body.message) || ('HTTP ' + status));
    this.status = status; this.code = body && body.code; this.body = body; this.path = path;
    /* a route the service does not have yet: the core's 404 */
    this.pending = status === 404 && body && body.code === 'not-found' && body.message === 'no such resource';
  }
}

async function api(method, path, body, opts) {
  const headers = { Accept: (opts && opts.accept) || 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = state.csrf || '';
  let payload;
  if (body !== undefined && body !== null) {
    if (typeof body === 'string') { payload = body; headers['Content-Type'] = (opts && opts.type) || 'application/xml'; }
    else { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  }
  const r = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { text }; }
  if (r.status === 401 && !path.startsWith('/console/login')) {
    showLogin('会话已结束，请重新登录。');
    throw new ApiError(401, data, path);
  }
  if (!r.ok) throw new ApiError(r.status, data, path);
  return { status: r.status, data, headers: r.headers };
}

/* What a failed call tells a person, in Chinese. */
function failure(e) {
  if (!(e instanceof ApiError)) return '出错了：' + (e && e.message ? e.message : String(e));
  if (e.pending) return '该功能的服务接口（' + e.path.split('?')[0] + '）尚未上线，接口上线后本页即可使用。';
  const code = e.code || '';
  const known = {
    forbidden: '您的角色无权执行此操作。',
    'four-eyes': '双人复核：创建、重开或最后修改该批次（或计划）的人不能审核它，请由另一位同事审核。',
    'batch-state': '批次当前状态不允许此操作。',
    'not-settled': '该结算不是此住院的有效结算，不能冲销。',
    'csrf-token-invalid': '页面已过期，请刷新后重试。',
    'rate-limited': '请求过于频繁，请稍后再试。',
    'not-found': '未找到（或不在您的权限范围内）。',
    'not-genuine': '不是本统筹区的真实结算单：没有任何结算能得出这个验证码。',
    'no-slip-key': '本服务未配置结算单密钥，无法核验。'
  };
  return (known[code] || '操作失败') + '（HTTP ' + e.status + (code ? '，' + code : '') + '）' +
    (known[code] ? '' : '：' + e.message);
}
function problem(e) {
  const pending = e instanceof ApiError && e.pending;
  return el('p', { class: pending ? 'notice pending' : 'message', role: 'alert', 'data-pending': pending ? '1' : null }, failure(e));
}

/* Every page of a cursor-paged list (bounded). */
async function allSettlements(query, max) {
  const out = [];
  let after = null;
  for (let i = 0; i < 50 && out.length < max; i++) {
    const q = new URLSearchParams(query);
    q.set('limit', '1000');
    if (after) q.set('after', after);
    const { data } = await api('GET', '/v1/settlements?' + q.toString());
    out.push(...(data.settlements || []));
    if (!data.next) break;
    after = data.next;
  }
  return out;
}

/* ---- generic rendering (for answers whose shape the console does not fix) ---- */

/* The states of batches, plans and exceptions as people read them (the
 * answer's own word stays in data-status). */
const STATUS_ZH = {
  draft: '待审核', approved: '已审核', rejected: '已驳回', exported: '已导出', sent: '已发送',
  accepted: '付款方已接受', paid: '已到账', 'part-paid': '部分到账', pending: '待处理',
  refused: '被拒收', failed: '失败', open: '未处理', resolved: '已处理', issued: '已拨付',
};
function cell(k, v) {
  if (v === null || v === undefined) return el('td', {}, '');
  if (typeof v === 'object') return el('td', {}, generic(v));
  if (typeof v === 'string' && /^-?\d+\.\d{2}$/.test(v) && isMoneyKey(k)) return el('td', { class: 'num' }, yuan(fen(v)));
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return el('td', {}, when(v));
  if (typeof v === 'boolean') return el('td', { 'data-value': String(v) }, BOOL_ZH[v]);
  if (k === 'fund_pay_type' || k === 'fund' || k === 'fund_code') return el('td', {}, (FUND_ZH[v] ? FUND_ZH[v] + ' ' : '') + v);
  if (k === 'kind') return el('td', { 'data-value': v }, KIND_ZH[v] || wordZh(v));
  if ((k === 'status' || k === 'state' || k === 'status_from' || k === 'status_to') && STATUS_ZH[v])
    return el('td', { 'data-status': v }, STATUS_ZH[v]);
  if (k === 'refd_setl_flag') return el('td', { 'data-value': v }, v === '1' ? '是' : v === '0' ? '否' : v);
  if (k === 'action') return el('td', { 'data-value': v }, actionZh(v));
  if (k === 'check') return el('td', { title: v }, CHECK_ZH[v] || v);
  if (k === 'basis') return el('td', { 'data-value': v }, BASIS_ZH[v] || v);
  if (k === 'fund_kind' || k === 'resolution' || k === 'pool' || k === 'category') return el('td', { 'data-value': v }, wordZh(v));
  if (k === 'detail' || k === 'description') {
    const t = sentenceZh(String(v));
    return t ? el('td', { title: v }, t) : el('td', { class: 'raw' }, String(v));
  }
  if (k === 'object' || k === 'subject') {  /* "claim H51010101/ZY2017-000123", "batch B…", a file */
    const m = /^([a-z]+) (.+)$/.exec(String(v));
    return m && OBJECT_ZH[m[1]] ? el('td', {}, OBJECT_ZH[m[1]] + ' ', el('span', { class: 'code' }, m[2]))
      : el('td', { class: 'code' }, String(v));
  }
  if (CODE_KEYS.has(k)) return el('td', { class: 'code' }, String(v));
  if (RAW_KEYS.has(k)) return el('td', { class: 'raw' }, String(v));
  return el('td', { class: typeof v === 'number' ? 'num' : null }, String(v));
}
function generic(v) {
  if (Array.isArray(v)) {
    if (!v.length) return el('p', { class: 'muted' }, '（无）');
    if (typeof v[0] !== 'object' || v[0] === null) return el('span', {}, v.join('、'));
    const keys = [];
    for (const o of v) for (const k of Object.keys(o)) if (!keys.includes(k)) keys.push(k);
    return el('table', {}, el('thead', {}, el('tr', {}, keys.map((k) => el('th', {}, zh(k))))),
      el('tbody', {}, v.map((o) => el('tr', {}, keys.map((k) => cell(k, o[k]))))));
  }
  if (v && typeof v === 'object') {
    return el('table', { class: 'kv' }, el('tbody', {}, Object.entries(v).map(([k, x]) =>
      el('tr', {}, el('th', {}, zh(k)), cell(k, x)))));
  }
  return el('span', {}, v === null ? '' : String(v));
}
/* The list inside an answer: the answer itself, or its first array member. */
function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data) for (const v of Object.values(data)) if (Array.isArray(v)) return v;
  return [];
}

/* ---- login, logout, the frame ------------------------------------------------ */

function showLogin(message) {
  state.who = null; state.csrf = null; state.may = new Set();
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-message').textContent = message || '';
  $('login-password').value = '';
  $('login-name').focus();
}

async function login(ev) {
  ev.preventDefault();
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  const msg = $('login-message');
  msg.textContent = '';
  $('login-submit').disabled = true;
  try {
    const r = await fetch('/console/login', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ name, password })
    });
    const data = await r.json().catch(() => ({}));
    if (r.ok) { $('login-password').value = ''; await start(data); return; }
    if (data.code === 'login-locked') {
      const s = Number(r.headers.get('Retry-After') || '0');
      msg.textContent = '连续多次密码错误，登录已锁定，请约 ' + Math.max(1, Math.ceil(s / 60)) + ' 分钟后再试，或请管理员重设密码。';
    } else if (data.code === 'login-failed') {
      msg.textContent = '用户名或密码错误。';
    } else if (r.status === 429) {
      msg.textContent = '请求过于频繁，请稍后再试。';
    } else {
      msg.textContent = '登录失败（HTTP ' + r.status + '）。';
    }
    $('login-password').value = '';
    $('login-password').focus();
  } catch (e) {
    msg.textContent = '无法连接服务：' + e.message;
  } finally {
    $('login-submit').disabled = false;
  }
}

async function logout() {
  try { await api('POST', '/console/logout'); } catch (e) { /* gone already */ }
  showLogin('已退出登录。');
}

const PAGES = [
  { id: 'today', title: '今日', ops: ['claim-read'], render: pageToday },
  { id: 'claims', title: '结算查询', ops: ['claim-read'], render: pageClaims },
  { id: 'slips', title: '结算单', ops: [], render: pageSlips },
  { id: 'batches', title: '结算批次', ops: ['batch-read'], render: pageBatches },
  { id: 'advances', title: '预付款', ops: ['advance-read'], render: pageAdvances },
  { id: 'reconciliation', title: '对账', ops: ['reconcile-read'], render: pageReconciliation },
  { id: 'audit', title: '审计', ops: ['audit-read'], render: pageAudit }
];
const visible = (p) => p.ops.every(may);

async function start(who) {
  state.who = who;
  state.csrf = who.csrf;
  state.may = new Set(who.may || []);
  state.today = who.today;
  const scope = (who.hospitals || []).length ? '（医院 ' + who.hospitals.join('、') + '）'
    : (who.funds || []).length ? '（基金 ' + who.funds.join('、') + '）' : '';
  $('who').textContent = who.user + ' · ' + (ROLE_ZH[who.role] || who.role) + scope;
  const list = $('nav-list');
  list.replaceChildren();
  let n = 1;
  for (const p of PAGES) {
    if (!visible(p)) continue;
    list.append(el('li', {}, el('a', { href: '#' + p.id, id: 'nav-' + p.id, accesskey: String(n++) }, p.title)));
  }
  $('login').hidden = true;
  $('app').hidden = false;
  if (!location.hash || !pageOf(location.hash)) location.hash = '#' + (PAGES.find(visible) || PAGES[2]).id;
  else route();
}

function pageOf(hash) {
  const id = hash.replace(/^#/, '').split('/')[0];
  const p = PAGES.find((x) => x.id === id) || (id === 'claim' ? PAGES[1] : null);
  return p && visible(p) ? p : null;
}

let routeSeq = 0;
async function route() {
  if (!state.who) return;
  const seq = ++routeSeq;
  const parts = location.hash.replace(/^#/, '').split('/').map(decodeURIComponent);
  const p = pageOf(location.hash);
  const main = $('main');
  for (const a of document.querySelectorAll('#nav-list a'))
    a.setAttribute('aria-current', p && a.id === 'nav-' + p.id ? 'page' : 'false');
  if (!p) { main.replaceChildren(el('h2', {}, '无权访问'), el('p', {}, '您的角色不能查看此页面。')); return; }
  document.title = p.title + ' · 智通控制台';
  main.replaceChildren(el('h2', {}, p.title), el('p', { class: 'muted' }, '加载中…'));
  try {
    const content = parts[0] === 'claim' ? await claimDetail(parts[1], parts[2]) : await p.render(parts.slice(1));
    if (seq !== routeSeq) return;
    main.replaceChildren(...[].concat(content));
  } catch (e) {
    if (seq !== routeSeq || (e instanceof ApiError && e.status === 401)) return;
    main.replaceChildren(el('h2', {}, p.title), problem(e));
  }
  main.setAttribute('data-ready', String(seq));
  main.focus({ preventScroll: true });
}

/* ---- today ------------------------------------------------------------------ */

function stat(label, value, sub) {
  return el('div', { class: 'stat' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value),
    sub ? el('div', { class: 'sub' }, sub) : null);
}

/* Bars of the last 30 days (inline SVG, drawn with the DOM). */
function chart30(days, title) {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 1000, H = 200, pad = 28;
  const max = Math.max(1, ...days.map((d) => d.fen));  /* a net day below zero draws no bar */
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const bw = (W - pad * 2) / days.length;
  days.forEach((d, i) => {
    const h = Math.max(0, Math.round((d.fen / max) * (H - pad * 2)));
    const r = document.createElementNS(NS, 'rect');
    r.setAttribute('x', String(pad + i * bw + 2));
    r.setAttribute('y', String(H - pad - h));
    r.setAttribute('width', String(Math.max(1, bw - 4)));
    r.setAttribute('height', String(h));
    r.setAttribute('class', 'bar' + (i === days.length - 1 ? ' today' : ''));
    const t = document.createElementNS(NS, 'title');
    t.textContent = d.day + '：' + d.count + ' 笔，' + yuan(d.fen) + ' 元';
    r.append(t);
    svg.append(r);
    if (i % 5 === 4 || i === days.length - 1) {
      const x = document.createElementNS(NS, 'text');
      x.setAttribute('x', String(pad + i * bw + bw / 2));
      x.setAttribute('y', String(H - 10));
      x.setAttribute('text-anchor', 'middle');
      x.textContent = d.day.slice(5);
      svg.append(x);
    }
  });
  const y = document.createElementNS(NS, 'text');
  y.setAttribute('x', String(pad)); y.setAttribute('y', '14');
  y.textContent = '最高 ' + yuan(max) + ' 元';
  svg.append(y);
  return el('div', { class: 'chart' }, svg);
}

async function pageToday() {
  const today = state.today;
  const from = dateAdd(today, -29);
  const rows = await allSettlements({ setl_from: from, setl_to: today }, 20000);
  const todays = rows.filter((s) => poolDay(s.setl_time) === today);
  const settles = todays.filter((s) => s.kind === 'settle');
  const sum = (list, k) => list.reduce((a, s) => a + fen(s[k]), 0);
  const med = sum(todays, 'medfee_sumamt'), fund = sum(todays, 'fund_pay_sumamt');
  const psn = sum(todays, 'psn_part_amt'), hosp = sum(todays, 'hosp_part_amt');

  /* per fund: each of today's settlements' setldetail (bounded) */
  const perFund = new Map();
  const limit = 300;
  const detail = todays.slice(0, limit);
  for (let i = 0; i < detail.length; i += 6) {
    const got = await Promise.all(detail.slice(i, i + 6).map((s) =>
      api('GET', '/v1/settlements/' + encodeURIComponent(s.setl_id)).then((r) => r.data).catch(() => null)));
    for (const s of got) for (const d of (s && s.setldetail) || []) {
      const f = perFund.get(d.fund_pay_type) || { fen: 0, count: 0 };
      f.fen += fen(d.fund_payamt); f.count += 1;
      perFund.set(d.fund_pay_type, f);
    }
  }
  /* per hospital, today */
  const perHosp = new Map();
  for (const s of todays) {
    const h = perHosp.get(s.fixmedins_code) || { count: 0, med: 0, fund: 0, psn: 0 };
    h.count += s.kind === 'settle' ? 1 : 0; h.med += fen(s.medfee_sumamt); h.fund += fen(s.fund_pay_sumamt); h.psn += fen(s.psn_part_amt);
    perHosp.set(s.fixmedins_code, h);
  }
  /* hospitals advancing money themselves: their balance with the pool is
   * below zero (GET /v1/advances "hospitals": advancing_since is set) —
   * what the pool's advances exist to prevent (finance, auditor) */
  let advancing = new Set(), advanceNote = null;
  if (may('advance-read')) {
    try {
      const { data } = await api('GET', '/v1/advances');
      for (const h of (data && data.hospitals) || [])
        if (h.fixmedins_code && (h.advancing_since || fen(h.balance) < 0)) advancing.add(h.fixmedins_code);
    } catch (e) { advanceNote = problem(e); }
  }
  /* the 30 days */
  const days = [];
  for (let i = 29; i >= 0; i--) days.push({ day: dateAdd(today, -i), fen: 0, count: 0 });
  const index = new Map(days.map((d) => [d.day, d]));
  for (const s of rows) {
    const d = index.get(poolDay(s.setl_time));
    if (d) { d.fen += fen(s.medfee_sumamt); d.count += s.kind === 'settle' ? 1 : 0; }
  }

  return [
    el('h2', {}, '今日 ', el('span', { class: 'muted' }, today)),
    el('div', { class: 'cards', id: 'today-cards' },
      stat('今日结算', String(settles.length) + ' 笔', '冲销 ' + (todays.length - settles.length) + ' 笔'),
      stat('医疗费用总额', yuan(med), '元（结算减冲销）'),
      stat('基金支付', yuan(fund), '元，占 ' + pct(fund, med)),
      stat('个人负担', yuan(psn), '元，占 ' + pct(psn, med)),
      stat('医院负担', yuan(hosp), '元')),
    el('div', { class: 'grid2' },
      el('section', {}, el('h3', {}, '各基金支付（今日）'),
        el('table', { id: 'today-funds' }, el('thead', {}, el('tr', {}, el('th', {}, '基金'), el('th', { class: 'num' }, '笔数'), el('th', { class: 'num' }, '金额（元）'))),
          el('tbody', {}, [...perFund.entries()].sort().map(([k, v]) => el('tr', {},
            el('td', {}, (FUND_ZH[k] || '') + ' ' + k), el('td', { class: 'num' }, String(v.count)), el('td', { class: 'num' }, yuan(v.fen)))))),
        todays.length > limit ? el('p', { class: 'muted' }, '按前 ' + limit + ' 笔结算统计。') : null),
      el('section', {}, el('h3', {}, '各医院（今日）', advancing.size ? el('span', { class: 'tag warn' }, '黄色：医院正在垫付资金（与资金池的余额为负）') : null),
        el('table', { id: 'today-hospitals' }, el('thead', {}, el('tr', {}, el('th', {}, '医院'), el('th', { class: 'num' }, '结算'), el('th', { class: 'num' }, '总费用'), el('th', { class: 'num' }, '个人负担'))),
          el('tbody', {}, [...perHosp.entries()].sort().map(([k, v]) => el('tr', { class: advancing.has(k) ? 'hi' : null },
            el('td', {}, k, advancing.has(k) ? el('span', { class: 'tag warn' }, ' 垫付中') : null), el('td', { class: 'num' }, String(v.count)),
            el('td', { class: 'num' }, yuan(v.med)), el('td', { class: 'num' }, yuan(v.psn)))))),
        advanceNote)),
    el('h3', {}, '近 30 天结算（每日医疗费用总额，结算减冲销，元）'),
    chart30(days, '近 30 天每日结算的医疗费用总额')
  ];
}

/* ---- claims ------------------------------------------------------------------ */

function field(id, label, attrs) {
  return el('div', {}, el('label', { for: id }, label), el('input', Object.assign({ id, name: id }, attrs || {})));
}

async function pageClaims() {
  const form = el('form', { class: 'filters', id: 'claims-form', role: 'search' },
    field('q-hospital', '医院编码', { value: (state.who.hospitals || [])[0] || '' }),
    field('q-psn', '人员编号'),
    field('q-dscg-from', '出院日期起', { type: 'date' }),
    field('q-dscg-to', '出院日期止', { type: 'date' }),
    field('q-setl-from', '结算日期起', { type: 'date' }),
    field('q-setl-to', '结算日期止', { type: 'date' }),
    el('div', {}, el('label', { for: 'q-kind' }, '状态'), el('select', { id: 'q-kind' },
      el('option', { value: '' }, '全部'), el('option', { value: 'settle' }, '结算'), el('option', { value: 'reverse' }, '冲销'))),
    el('div', {}, el('button', { type: 'submit' }, '查询')));
  const out = el('div', { id: 'claims-result' });
  let next = null;
  const run = async (more) => {
    const q = new URLSearchParams();
    const put = (k, id) => { const v = $(id).value.trim(); if (v) q.set(k, v); };
    put('fixmedins_code', 'q-hospital'); put('psn_no', 'q-psn');
    put('dscg_from', 'q-dscg-from'); put('dscg_to', 'q-dscg-to');
    put('setl_from', 'q-setl-from'); put('setl_to', 'q-setl-to');
    q.set('limit', '50');
    if (more && next) q.set('after', next);
    try {
      const { data } = await api('GET', '/v1/settlements?' + q.toString());
      next = data.next;
      const kind = $('q-kind').value;
      const list = (data.settlements || []).filter((s) => !kind || s.kind === kind || (kind === 'reverse' && s.kind !== 'settle'));
      const table = el('table', {}, el('thead', {}, el('tr', {}, ['结算号', '类型', '医院', '住院号', '人员编号', '出院日期', '总费用', '基金支付', '个人负担', '结算时间'].map((h, i) => el('th', { class: i >= 6 && i <= 8 ? 'num' : null }, h)))),
        el('tbody', {}, list.map((s) => el('tr', {},
          el('td', {}, el('a', { href: '#claim/' + encodeURIComponent(s.fixmedins_code) + '/' + encodeURIComponent(s.claim_no) }, s.setl_id)),
          el('td', {}, KIND_ZH[s.kind] || s.kind), el('td', {}, s.fixmedins_code), el('td', {}, s.claim_no), el('td', {}, s.psn_no || ''),
          el('td', {}, s.dscg_date || ''), el('td', { class: 'num' }, yuan(fen(s.medfee_sumamt))), el('td', { class: 'num' }, yuan(fen(s.fund_pay_sumamt))),
          el('td', { class: 'num' }, yuan(fen(s.psn_part_amt))), el('td', {}, when(s.setl_time))))));
      const blocks = [el('p', { class: 'muted' }, '本页 ' + list.length + ' 条'), table];
      if (next) blocks.push(el('div', { class: 'actions' }, el('button', { type: 'button', class: 'secondary', onclick: () => run(true) }, '下一页')));
      out.replaceChildren(...blocks);
    } catch (e) { out.replaceChildren(problem(e)); }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(false); });
  setTimeout(() => run(false), 0);
  return [el('h2', {}, '结算查询'), form, out];
}

function traceTable(trace) {
  return el('table', { class: 'kv' }, el('tbody', {}, Object.entries(trace || {}).map(([k, v]) =>
    el('tr', {}, el('th', {}, zh(k, TRACE_ZH)), el('td', { class: /^-?\d+\.\d{2}$/.test(v) ? 'num' : k === 'reason' ? 'raw' : null, 'data-value': v },
      /^-?\d+\.\d{2}$/.test(v) && !/ratio|factor/.test(k) ? yuan(fen(v)) : /^[01]\.\d{4}$/.test(v) ? pct(Number(v.replace('.', '')), 10000)
        : k === 'reason' || k === 'of' ? String(v) : wordZh(String(v)))))));
}

/* The claim's fee lines (the national names in each heading's title and
 * small text, docs/spec/service.md "Bodies"). */
const ITEM_COLS = [
  ['feedetl_sn', '明细流水号'], ['med_list_codg', '医疗目录编码'], ['med_chrgitm_type', '收费项目类别'],
  ['chrgitm_lv', '收费项目等级'], ['pric', '单价'], ['cnt', '数量'], ['det_item_fee_sumamt', '明细项目费用总额'],
  ['pric_uplmt_amt', '最高限价'], ['selfpay_prop', '自付比例']
];
const CHRGITM_LV_ZH = { '01': '甲类', '02': '乙类', '03': '丙类' };
function itemsTable(items) {
  if (!items.length) return el('p', { class: 'muted' }, '（无）');
  const cols = ITEM_COLS.filter(([k]) => items.some((it) => it[k] !== undefined && it[k] !== null));
  const num = (k) => k === 'pric' || k === 'cnt' || k === 'det_item_fee_sumamt' || k === 'pric_uplmt_amt' || k === 'selfpay_prop';
  const show = (k, v) => {
    if (v === undefined || v === null) return '';
    if (k === 'det_item_fee_sumamt') return yuan(fen(v));
    if (k === 'chrgitm_lv') return (CHRGITM_LV_ZH[v] ? CHRGITM_LV_ZH[v] + ' ' : '') + v;
    if (k === 'selfpay_prop') return pct(Number(String(v).replace('.', '')), 10000);
    return String(v);
  };
  return el('table', { class: 'items', id: 'claim-items' },
    el('thead', {}, el('tr', {}, cols.map(([k, label]) => el('th', { title: k, 'data-field': k, class: num(k) ? 'num' : null },
      label, el('br'), el('small', { class: 'muted national' }, k))))),
    el('tbody', {}, items.map((it) => el('tr', { 'data-feedetl-sn': it.feedetl_sn },
      cols.map(([k]) => el('td', { 'data-field': k, class: num(k) ? 'num' : null }, show(k, it[k])))))));
}

/* The national platform's part of a stay settled on top of it
 * (docs/national.md): its settlement number and the national funds'
 * amounts under their names; the county's funds follow. */
function nationalBlock(nat) {
  const f = nat.national_funds || {};
  const row = (label, code, amt) => el('tr', {}, el('th', {}, label, code ? el('span', { class: 'code muted' }, ' ' + code) : null),
    el('td', { class: 'num' }, yuan(fen(amt))));
  return el('section', { class: 'national-part', 'data-national-setl-id': nat.setl_id },
    el('h3', {}, '国家医保信息平台结算'),
    el('table', { class: 'kv' }, el('tbody', {},
      el('tr', {}, el('th', {}, '平台结算号'), el('td', { class: 'code' }, nat.setl_id || '')),
      row('基本医保统筹基金', f.basic, nat.hifp_pay),
      row('大病保险', f.critical, nat.hifmi_pay),
      row('医疗救助', f.assistance, nat.maf_pay))));
}

async function claimDetail(h, n) {
  const { data } = await api('GET', '/v1/claims/' + encodeURIComponent(h) + '/' + encodeURIComponent(n));
  const settlements = data.settlements || [];
  const reversed = new Set(settlements.filter((s) => s.kind !== 'settle').map((s) => s.reverses).filter(Boolean));
  const blocks = [el('h2', {}, '住院 ', n, ' ', el('span', { class: 'muted' }, h)),
    el('p', {}, el('a', { href: '#claims' }, '← 返回结算查询'))];
  if (Array.isArray(data.items)) blocks.push(el('h3', {}, '费用明细'), itemsTable(data.items));
  for (const s of settlements) {
    const live = s.kind === 'settle' && !reversed.has(s.setl_id) && s.setl_id === (settlements.filter((x) => x.kind === 'settle').slice(-1)[0] || {}).setl_id;
    const info = s.setlinfo || {};
    const sec = el('section', { class: 'settlement', 'data-setl-id': s.setl_id },
      el('h3', {}, (KIND_ZH[s.kind] || s.kind) + ' ' + s.setl_id + ' · ' + when(s.setl_time),
        reversed.has(s.setl_id) ? el('span', { class: 'tag warn' }, ' 已冲销') : null),
      el('table', { class: 'kv' }, el('tbody', {},
        el('tr', {}, el('th', {}, '人员编号'), el('td', {}, s.psn_no || '')),
        s.reverses ? el('tr', {}, el('th', {}, '冲销的结算号'), el('td', {}, s.reverses)) : null,
        s.reason ? el('tr', {}, el('th', {}, '冲销原因'), el('td', { class: 'raw' }, s.reason)) : null,
        Object.entries(info).map(([k, v]) => el('tr', {}, el('th', {}, zh(k)),
          el('td', { class: 'num' }, /ratio|prop/.test(k) ? pct(Number(String(v).replace('.', '')), 10000) : yuan(fen(v))))))),
      s.national ? nationalBlock(s.national) : null,
      el('h3', {}, '各基金支付及计算过程'),
      (s.setldetail || []).map((d) => el('div', { class: 'trace' },
        el('p', {}, el('strong', {}, (FUND_ZH[d.fund_pay_type] || '基金') + ' ' + d.fund_pay_type + '：' + yuan(fen(d.fund_payamt)) + ' 元')),
        d.trace ? traceTable(d.trace) : null)));
    const acts = el('div', { class: 'actions' });
    if (may('slip')) acts.append(el('a', { href: '#slips/' + encodeURIComponent(s.setl_id) }, '结算单'));
    if (live && may('claim-reverse')) {
      const reason = el('input', { id: 'reason-' + s.setl_id, placeholder: '冲销原因（必填）', size: 30, 'aria-label': '冲销原因' });
      const msg = el('span', { role: 'status' });
      const btn = el('button', { type: 'submit', class: 'danger' }, '冲销');
      const f = el('form', { class: 'actions reverse-form' }, reason, btn, msg);
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (!reason.value.trim()) { msg.textContent = '请填写冲销原因。'; reason.focus(); return; }
        btn.disabled = true;
        try {
          await api('POST', '/v1/claims/' + encodeURIComponent(h) + '/' + encodeURIComponent(n) + '/reversal',
            { setl_id: s.setl_id, reason: reason.value.trim() });
          route();
        } catch (e) { msg.replaceChildren(problem(e)); btn.disabled = false; }
      });
      acts.append(f);
    }
    sec.append(acts);
    blocks.push(sec);
  }
  return blocks;
}

/* ---- slips --------------------------------------------------------------------- */

async function pageSlips(args) {
  const blocks = [el('h2', {}, '结算单')];
  if (may('slip')) {
    const id = el('input', { id: 'slip-setl-id', value: args[0] || '', placeholder: 'S000000000001', 'aria-label': '结算号' });
    const frame = el('div', { id: 'slip-view' });
    const show = () => {
      const v = id.value.trim();
      if (!v) return;
      const iframe = el('iframe', { class: 'slip', id: 'slip-frame', title: '结算单 ' + v, src: '/v1/settlements/' + encodeURIComponent(v) + '/slip' });
      const print = el('button', { type: 'button', id: 'slip-print', onclick: () => iframe.contentWindow.print() }, '打印结算单');
      frame.replaceChildren(el('div', { class: 'actions' }, print), iframe);
    };
    const f = el('form', { class: 'filters', id: 'slip-form' }, el('div', {}, el('label', { for: 'slip-setl-id' }, '结算号'), id),
      el('div', {}, el('button', { type: 'submit' }, '显示结算单')));
    f.addEventListener('submit', (ev) => { ev.preventDefault(); show(); });
    blocks.push(el('h3', {}, '打印'), f, frame);
    if (args[0]) setTimeout(show, 0);
  }
  const code = el('input', { id: 'verify-code', size: 34, placeholder: 'K1-XXXX-XXXX-XXXX-XXXX-XXXX', 'aria-label': '验证码' });
  const out = el('div', { id: 'verify-result', role: 'status' });
  const vf = el('form', { class: 'filters', id: 'verify-form' }, el('div', {}, el('label', { for: 'verify-code' }, '结算单上的验证码'), code),
    el('div', {}, el('button', { type: 'submit' }, '核验')));
  vf.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren(el('p', { class: 'muted' }, '核验中…'));
    try {
      const { data } = await api('GET', '/v1/slips/verify?code=' + encodeURIComponent(code.value.trim()));
      out.replaceChildren(el('p', { class: 'ok', id: 'verify-verdict' }, data.void ? '真实（已作废）' : '真实'),
        el('table', { class: 'kv' }, el('tbody', {},
          el('tr', {}, el('th', {}, '结算号'), el('td', {}, data.setl_id)),
          el('tr', {}, el('th', {}, '医院编码'), el('td', {}, data.fixmedins_code || '')),
          el('tr', {}, el('th', {}, '医疗费用总额'), el('td', { class: 'num' }, yuan(fen(data.medfee_sumamt)))),
          el('tr', {}, el('th', {}, '个人负担'), el('td', { class: 'num' }, yuan(fen(data.psn_part_amt)))))));
    } catch (e) {
      out.replaceChildren(e instanceof ApiError && e.code === 'not-genuine'
        ? el('p', { class: 'bad', id: 'verify-verdict' }, '不真实：' + failure(e)) : problem(e));
    }
  });
  blocks.push(el('h3', {}, '核验结算单真伪'), vf, out);
  return blocks;
}

/* ---- batches, advances, reconciliation: docs/spec/service.md's paths ---------- */

function actionButton(label, method, path, body, after, cls) {
  const msg = el('span', { role: 'status' });
  const b = el('button', { type: 'button', class: cls || 'secondary', onclick: async () => {
    b.disabled = true;
    try { await api(method, path, typeof body === 'function' ? body() : body); after(); }
    catch (e) { msg.replaceChildren(problem(e)); b.disabled = false; }
  } }, label);
  return el('span', {}, b, msg);
}

/* A step that carries a reason ({"reason"}): required (a rejection) or not
 * (a reopening); an empty required reason is refused by the page. */
function reasonForm(id, placeholder, label, missing, required, path, after) {
  const reason = el('input', { id: id + '-reason', placeholder, size: 24, 'aria-label': placeholder, 'aria-required': required ? 'true' : null });
  const msg = el('span', { role: 'status' });
  const btn = el('button', { type: 'submit', class: 'secondary' }, label);
  const f = el('form', { class: 'inline', id }, reason, btn, msg);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = reason.value.trim();
    if (required && !r) { msg.replaceChildren(el('span', { class: 'bad' }, missing)); reason.focus(); return; }
    btn.disabled = true;
    try { await api('POST', path, r ? { reason: r } : {}); after(); }
    catch (e) { msg.replaceChildren(problem(e)); btn.disabled = false; }
  });
  return f;
}

/* A batch's history: each step, who took it and its detail (a rejection's
 * reason as the checker wrote it). */
function historyTable(history) {
  if (!history.length) return el('p', { class: 'muted' }, '（无）');
  return el('table', { id: 'batch-history' },
    el('thead', {}, el('tr', {}, ['时间', '操作人', '操作', '原状态', '新状态', '说明'].map((h) => el('th', {}, h)))),
    el('tbody', {}, history.map((e) => el('tr', { 'data-action': e.action },
      el('td', {}, when(e.at)), el('td', { class: 'code' }, e.actor || ''), el('td', {}, actionZh(e.action || '')),
      el('td', { 'data-status': e.status_from || '' }, STATUS_ZH[e.status_from] || e.status_from || ''),
      el('td', { 'data-status': e.status_to || '' }, STATUS_ZH[e.status_to] || e.status_to || ''),
      (() => {
        const d = e.detail || '';
        if (e.action === 'reject') return el('td', { class: 'raw reject-reason' }, d ? '驳回原因：' + d : '');
        const t = sentenceZh(d);
        return t ? el('td', { title: d }, t) : el('td', { class: 'raw' }, d);
      })()))));
}

async function pageBatches(args) {
  const blocks = [el('h2', {}, '结算批次'),
    el('p', { class: 'notice' }, '双人复核：创建、重开或最后修改批次的人不能审核该批次，须由另一位基金管理员审核。')];
  if (args[0]) {
    const id = encodeURIComponent(args[0]);
    const { data } = await api('GET', '/v1/batches/' + id);
    const b = (data && data.batch) || {};
    blocks.push(el('p', {}, el('a', { href: '#batches' }, '← 返回批次列表')), el('h3', {}, '批次 ' + args[0]),
      generic(Object.assign({}, b, data && data.owes !== undefined && data.owes !== null ? { owes: data.owes } : {})));
    // who did what to it, and why: a rejection's reason, a reopening's
    blocks.push(el('h3', {}, '处理记录'), historyTable((data && data.history) || []));
    // what the payer is billed for: the batch's records (finance sees no
    // names, ID numbers or diagnoses: the service leaves them out)
    try {
      const recs = listOf((await api('GET', '/v1/batches/' + id + '/records')).data, 'records');
      blocks.push(el('h3', {}, '批次明细（' + recs.length + ' 笔）'), generic(recs));
    } catch (e) { blocks.push(problem(e)); }
    if (may('batch-write')) {
      const again = () => route();
      blocks.push(el('div', { class: 'actions', id: 'batch-actions' },
        actionButton('审核通过', 'POST', '/v1/batches/' + id + '/approve', {}, again, ''),
        reasonForm('reject-form', '驳回原因（必填）', '驳回', '请填写驳回原因。', true, '/v1/batches/' + id + '/reject', again),
        reasonForm('reopen-form', '重开说明（可选）', '重开', null, false, '/v1/batches/' + id + '/reopen', again),
        actionButton('导出支付文件', 'POST', '/v1/batches/' + id + '/export', {}, again),
        actionButton('发送', 'POST', '/v1/batches/' + id + '/send', {}, again)));
    }
    blocks.push(el('p', {}, el('a', { href: '/v1/batches/' + id + '/file' }, '下载支付文件'), ' · ',
      el('a', { href: '/v1/batches/' + id + '/file.sig' }, '签名')));
    return blocks;
  }
  if (may('batch-write')) {
    // a batch is of one fund: the user's funds (an administrator of every
    // fund chooses among the known ones)
    const funds = (state.who.funds && state.who.funds.length) ? state.who.funds : Object.keys(FUND_ZH);
    const fund = el('select', { id: 'batch-fund', 'aria-label': '基金' },
      funds.map((f) => el('option', { value: f }, (FUND_ZH[f] ? FUND_ZH[f] + ' ' : '') + f)));
    blocks.push(el('div', { class: 'actions' }, el('label', { for: 'batch-fund' }, '基金'), fund,
      actionButton('生成新批次', 'POST', '/v1/batches', () => ({ fund_code: fund.value }), () => route(), '')));
  }
  try {
    const { data } = await api('GET', '/v1/batches');
    const list = listOf(data, 'batches');
    blocks.push(generic(list));
    for (const b of list) if (b && (b.id || b.batch_id))
      blocks.push(el('a', { href: '#batches/' + encodeURIComponent(b.id || b.batch_id), class: 'no-print' }, '批次 ' + (b.id || b.batch_id) + ' 详情'), ' ');
  } catch (e) { blocks.push(problem(e)); }
  return blocks;
}

async function pageAdvances(args) {
  const blocks = [el('h2', {}, '预付款')];
  if (args[0]) {
    const id = encodeURIComponent(args[0]);
    const { data } = await api('GET', '/v1/advance-plans/' + id);
    blocks.push(el('p', {}, el('a', { href: '#advances' }, '← 返回')), el('h3', {}, '预付计划 ' + args[0]), generic(data));
    if (may('advance-write'))
      blocks.push(el('div', { class: 'actions' },
        actionButton('审核通过', 'POST', '/v1/advance-plans/' + id + '/approve', {}, () => route(), ''),
        actionButton('拨付', 'POST', '/v1/advance-plans/' + id + '/issue', {}, () => route())));
    blocks.push(el('p', {}, el('a', { href: '/v1/advance-plans/' + id + '/pain001' }, '下载拨付指令（pain.001）')));
    return blocks;
  }
  blocks.push(el('h3', {}, '各医院预付款状态'));
  try {
    const { data } = await api('GET', '/v1/advances');
    blocks.push(generic((data && data.hospitals) || []), el('h3', {}, '已拨付的预付款'), generic(listOf(data, 'advances')));
  } catch (e) { blocks.push(problem(e)); }
  blocks.push(el('h3', {}, '预付计划'));
  if (may('advance-write'))
    blocks.push(el('div', { class: 'actions' }, actionButton('制定预付计划', 'POST', '/v1/advance-plans', {}, () => route(), '')));
  try {
    const list = listOf((await api('GET', '/v1/advance-plans')).data, 'plans');
    blocks.push(generic(list));
    for (const p of list) if (p && (p.id || p.plan_id))
      blocks.push(el('a', { href: '#advances/' + encodeURIComponent(p.id || p.plan_id), class: 'no-print' }, '计划 ' + (p.id || p.plan_id)), ' ');
  } catch (e) { blocks.push(problem(e)); }
  return blocks;
}

async function pageReconciliation() {
  const blocks = [el('h2', {}, '对账')];
  if (may('reconcile-write')) {
    /* the file input's own button speaks the browser's language: hidden
     * (still focusable), a Chinese label of ours opens it */
    const chosen = el('span', { id: 'statement-chosen', class: 'muted code' }, '未选择文件');
    const file = el('input', { type: 'file', id: 'statement-file', class: 'visually-hidden', accept: '.xml,application/xml', 'aria-label': '银行对账单（camt.053）',
      onchange: () => { chosen.textContent = file.files.length ? file.files[0].name : '未选择文件'; } });
    const msg = el('div', { id: 'statement-result', role: 'status' });
    const f = el('form', { class: 'filters', id: 'statement-form' },
      el('div', {}, el('span', { class: 'label' }, '导入银行对账单（camt.053 XML）'),
        el('span', {}, file, el('label', { for: 'statement-file', class: 'file-button' }, '选择文件'), ' ', chosen)),
      el('div', {}, el('button', { type: 'submit' }, '导入')));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!file.files.length) { msg.textContent = '请选择文件。'; return; }
      try {
        const { data } = await api('POST', '/v1/statements', await file.files[0].text(), { type: 'application/xml' });
        msg.replaceChildren(el('p', { class: 'ok' }, '已导入'), generic(data));
      } catch (e) { msg.replaceChildren(problem(e)); }
    });
    blocks.push(f, msg);
  }
  blocks.push(el('h3', {}, '未结例外（按账龄）'));
  try {
    const list = listOf((await api('GET', '/v1/exceptions')).data, 'exceptions');
    blocks.push(generic(list));
    if (may('reconcile-write')) for (const x of list) {
      if (!x || !x.id) continue;
      const as = el('select', { 'aria-label': '处理方式' }, ['accept', 'refund', 'write-off', 'ignore'].map((v) =>
        el('option', { value: v }, { accept: '接受', refund: '退款', 'write-off': '核销', ignore: '忽略' }[v])));
      const note = el('input', { placeholder: '处理说明（必填）', 'aria-label': '处理说明' });
      blocks.push(el('div', { class: 'actions' }, '例外 ' + x.id + '：', as, note,
        actionButton('处理', 'POST', '/v1/exceptions/' + encodeURIComponent(x.id) + '/resolve', () => ({ as: as.value, note: note.value }), () => route(), '')));
    }
  } catch (e) { blocks.push(problem(e)); }
  blocks.push(el('h3', {}, '对账报告'));
  try { blocks.push(generic((await api('GET', '/v1/reports/reconciliation?as_of=' + state.today)).data)); } catch (e) { blocks.push(problem(e)); }
  return blocks;
}

/* ---- audit --------------------------------------------------------------------- */

async function pageAudit() {
  const blocks = [el('h2', {}, '审计')];
  const out = el('div', { id: 'verify-all' });
  if (may('verify'))
    blocks.push(el('div', { class: 'actions' }, el('button', { type: 'button', id: 'run-verify', onclick: async () => {
      out.replaceChildren(el('p', { class: 'muted' }, '核验中…'));
      try {
        const { data } = await api('GET', '/v1/verify');
        out.replaceChildren(el('p', { class: data.violations === 0 ? 'ok' : 'bad' },
          data.violations === 0 ? '全部检查通过，没有违规。' : '发现 ' + data.violations + ' 处违规。'), generic(data.checks || []));
      } catch (e) { out.replaceChildren(problem(e)); }
    } }, '核验数据一致性')), out);
  blocks.push(el('h3', {}, '审计记录'),
    el('p', { class: 'muted' }, '“内容”一栏是审计记录写入时的原文（受哈希链保护，按原样显示，不作翻译）。'));
  try { blocks.push(generic(listOf((await api('GET', '/v1/audit?limit=200')).data, 'records'))); } catch (e) { blocks.push(problem(e)); }
  return blocks;
}

/* ---- start ------------------------------------------------------------------------- */

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  try {
    const r = await fetch('/console/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.ok) await start(await r.json());
    else showLogin('');
  } catch (e) { showLogin('无法连接服务。'); }
});
