// The Kubernetes Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards, the baseline and
// restricted profiles) as checks over one pod spec. Each finding carries the field path and the fix.
import { isRecord } from '../model/objects.js';

/** The Pod Security Standards checks of the `restricted` profile, by name, so a policy can skip single ones. */
export const RESTRICTED_CHECKS = [
  'volumeTypes',
  'allowPrivilegeEscalation',
  'runAsNonRoot',
  'runAsUser',
  'seccompProfile',
  'capabilitiesDropAll',
  'capabilitiesAdd',
] as const;
export type RestrictedCheck = (typeof RESTRICTED_CHECKS)[number];

/** The Pod Security Standards checks of the `baseline` profile, by name. */
export const BASELINE_CHECKS = [
  'privileged',
  'hostNamespaces',
  'hostPath',
  'hostPorts',
  'capabilitiesBaseline',
  'procMount',
  'seccompUnconfined',
  'seLinux',
  'appArmor',
  'sysctls',
  'hostProcess',
] as const;
export type BaselineCheck = (typeof BASELINE_CHECKS)[number];

export interface PodFinding {
  check: BaselineCheck | RestrictedCheck;
  /** Field path below the pod spec, e.g. `containers[0].securityContext.privileged`. */
  path: string;
  problem: string;
  fix: string;
}

/** Capabilities the baseline profile lets a container add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
/** Sysctls the baseline profile allows (namespaced, isolated from other pods on the node). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** Volume sources the restricted profile allows; everything else (hostPath, nfs, iscsi, ...) is refused. */
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

interface Container {
  path: string;
  name: string;
  spec: Record<string, unknown>;
  securityContext: Record<string, unknown>;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function containersOf(pod: Record<string, unknown>, prefix: string): Container[] {
  const out: Container[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = pod[field];
    if (!Array.isArray(list)) continue;
    list.forEach((entry: unknown, index) => {
      const spec = record(entry);
      out.push({
        path: `${prefix}${field}[${index}]`,
        name: typeof spec.name === 'string' ? spec.name : `#${index}`,
        spec,
        securityContext: record(spec.securityContext),
      });
    });
  }
  return out;
}

/** Every violation of the chosen profile in one pod spec (`spec` of a Pod, `spec.template.spec` of a workload). */
export function podSecurityFindings(
  pod: Record<string, unknown>,
  profile: 'privileged' | 'baseline' | 'restricted',
  skip: ReadonlySet<RestrictedCheck>,
  podPath = '',
): PodFinding[] {
  if (profile === 'privileged') return [];
  const findings: PodFinding[] = [];
  const add = (check: PodFinding['check'], path: string, problem: string, fix: string) =>
    findings.push({ check, path, problem, fix });
  const podContext = record(pod.securityContext);
  // Paths are written from the object's root (`.spec.template.spec.`) so a finding says exactly where to edit.
  const prefix = podPath ? `${podPath}.` : '';
  const containers = containersOf(pod, prefix);

  // ---- baseline ----
  for (const field of HOST_NAMESPACES) {
    if (pod[field] === true)
      add(
        'hostNamespaces',
        `${prefix}${field}`,
        `${field} is true: the pod shares the node's ${field.slice(4)} namespace`,
        `remove ${prefix}${field}`,
      );
  }
  for (const c of containers) {
    const where = `${c.path}.securityContext`;
    if (c.securityContext.privileged === true)
      add('privileged', `${where}.privileged`, `container "${c.name}" is privileged`, `remove ${where}.privileged`);
    const caps = record(c.securityContext.capabilities);
    const added = Array.isArray(caps.add) ? caps.add.map(String) : [];
    added.forEach((cap, index) => {
      if (!BASELINE_CAPABILITIES.has(cap)) {
        add(
          'capabilitiesBaseline',
          `${where}.capabilities.add[${index}]`,
          `container "${c.name}" adds capability ${cap}`,
          `remove ${cap} from ${where}.capabilities.add`,
        );
      }
    });
    if (c.securityContext.procMount !== undefined && c.securityContext.procMount !== 'Default') {
      add(
        'procMount',
        `${where}.procMount`,
        `container "${c.name}" sets procMount ${String(c.securityContext.procMount)}`,
        `remove ${where}.procMount`,
      );
    }
    const ports = Array.isArray(c.spec.ports) ? c.spec.ports : [];
    ports.forEach((port: unknown, index) => {
      const hostPort = record(port).hostPort;
      if (hostPort !== undefined && hostPort !== 0)
        add(
          'hostPorts',
          `${c.path}.ports[${index}].hostPort`,
          `container "${c.name}" binds host port ${String(hostPort)}`,
          `remove ${c.path}.ports[${index}].hostPort (use a Service)`,
        );
    });
  }
  const contexts: Array<{ path: string; context: Record<string, unknown>; who: string }> = [
    { path: `${prefix}securityContext`, context: podContext, who: 'the pod' },
    ...containers.map((c) => ({
      path: `${c.path}.securityContext`,
      context: c.securityContext,
      who: `container "${c.name}"`,
    })),
  ];
  for (const { path, context, who } of contexts) {
    if (record(context.seccompProfile).type === 'Unconfined')
      add(
        'seccompUnconfined',
        `${path}.seccompProfile.type`,
        `${who} runs without seccomp (Unconfined)`,
        `set ${path}.seccompProfile.type to RuntimeDefault`,
      );
    if (record(context.appArmorProfile).type === 'Unconfined')
      add(
        'appArmor',
        `${path}.appArmorProfile.type`,
        `${who} runs without AppArmor (Unconfined)`,
        `set ${path}.appArmorProfile.type to RuntimeDefault or remove it`,
      );
    if (record(context.windowsOptions).hostProcess === true)
      add(
        'hostProcess',
        `${path}.windowsOptions.hostProcess`,
        `${who} is a Windows HostProcess container`,
        `remove ${path}.windowsOptions.hostProcess`,
      );
    const selinux = record(context.seLinuxOptions);
    if (selinux.type !== undefined && !SELINUX_TYPES.has(String(selinux.type)))
      add(
        'seLinux',
        `${path}.seLinuxOptions.type`,
        `${who} sets SELinux type ${String(selinux.type)}`,
        `use container_t or remove ${path}.seLinuxOptions.type`,
      );
    for (const field of ['user', 'role'] as const) {
      if (selinux[field] !== undefined && selinux[field] !== '')
        add(
          'seLinux',
          `${path}.seLinuxOptions.${field}`,
          `${who} sets a custom SELinux ${field}`,
          `remove ${path}.seLinuxOptions.${field}`,
        );
    }
  }
  const sysctls = Array.isArray(podContext.sysctls) ? podContext.sysctls : [];
  sysctls.forEach((sysctl: unknown, index) => {
    const name = String(record(sysctl).name ?? '');
    if (!SAFE_SYSCTLS.has(name))
      add(
        'sysctls',
        `${prefix}securityContext.sysctls[${index}]`,
        `the pod sets the unsafe sysctl ${name}`,
        `remove ${prefix}securityContext.sysctls[${index}]`,
      );
  });
  const volumes = Array.isArray(pod.volumes) ? pod.volumes : [];
  volumes.forEach((volume: unknown, index) => {
    const v = record(volume);
    if (v.hostPath !== undefined)
      add(
        'hostPath',
        `${prefix}volumes[${index}].hostPath`,
        `volume "${String(v.name ?? index)}" mounts the node's ${String(record(v.hostPath).path ?? '?')}`,
        `use an emptyDir, configMap, secret or persistentVolumeClaim volume instead of ${prefix}volumes[${index}].hostPath`,
      );
  });
  if (profile === 'baseline') return findings;

  // ---- restricted ----
  const on = (check: RestrictedCheck) => !skip.has(check);
  if (on('volumeTypes')) {
    volumes.forEach((volume: unknown, index) => {
      const v = record(volume);
      const source = Object.keys(v).find((key) => key !== 'name');
      if (source !== undefined && source !== 'hostPath' && !RESTRICTED_VOLUMES.has(source)) {
        add(
          'volumeTypes',
          `${prefix}volumes[${index}].${source}`,
          `volume "${String(v.name ?? index)}" is of type ${source}`,
          `use one of ${[...RESTRICTED_VOLUMES].join(', ')}`,
        );
      }
    });
  }
  for (const c of containers) {
    const where = `${c.path}.securityContext`;
    const escalation = c.securityContext.allowPrivilegeEscalation;
    // Skipping the check keeps unset fields acceptable; an explicit true is a request for escalation either way.
    if (escalation === true || (on('allowPrivilegeEscalation') && escalation !== false)) {
      add(
        'allowPrivilegeEscalation',
        `${where}.allowPrivilegeEscalation`,
        `container "${c.name}" ${escalation === true ? 'allows' : 'does not forbid'} privilege escalation`,
        `set ${where}.allowPrivilegeEscalation to false`,
      );
    }
    const caps = record(c.securityContext.capabilities);
    const dropped = Array.isArray(caps.drop) ? caps.drop.map(String) : [];
    if (on('capabilitiesDropAll') && !dropped.includes('ALL'))
      add(
        'capabilitiesDropAll',
        `${where}.capabilities.drop`,
        `container "${c.name}" does not drop all capabilities`,
        `set ${where}.capabilities.drop to [ALL]`,
      );
    const added = Array.isArray(caps.add) ? caps.add.map(String) : [];
    if (on('capabilitiesAdd')) {
      added.forEach((cap, index) => {
        // Baseline already reported capabilities outside its own set.
        if (cap !== 'NET_BIND_SERVICE' && BASELINE_CAPABILITIES.has(cap))
          add(
            'capabilitiesAdd',
            `${where}.capabilities.add[${index}]`,
            `container "${c.name}" adds capability ${cap}`,
            `remove ${cap} from ${where}.capabilities.add (only NET_BIND_SERVICE may be added)`,
          );
      });
    }
  }
  if (on('runAsNonRoot')) {
    const podNonRoot = podContext.runAsNonRoot === true;
    for (const c of containers) {
      const own = c.securityContext.runAsNonRoot;
      if (own === false || (own !== true && !podNonRoot)) {
        add(
          'runAsNonRoot',
          own === false ? `${c.path}.securityContext.runAsNonRoot` : `${prefix}securityContext.runAsNonRoot`,
          `container "${c.name}" may run as root`,
          own === false
            ? `remove ${c.path}.securityContext.runAsNonRoot: false`
            : `set ${prefix}securityContext.runAsNonRoot: true`,
        );
      }
    }
  }
  if (on('runAsUser')) {
    for (const { path, context, who } of contexts) {
      if (context.runAsUser === 0)
        add(
          'runAsUser',
          `${path}.runAsUser`,
          `${who} runs as user 0 (root)`,
          `set ${path}.runAsUser to a non-zero user id`,
        );
    }
  }
  if (on('seccompProfile')) {
    const allowed = (context: Record<string, unknown>) =>
      ['RuntimeDefault', 'Localhost'].includes(String(record(context.seccompProfile).type));
    const podSet = allowed(podContext);
    for (const c of containers) {
      const own = record(c.securityContext.seccompProfile).type;
      if (own === undefined && !podSet)
        add(
          'seccompProfile',
          `${prefix}securityContext.seccompProfile.type`,
          `container "${c.name}" has no seccomp profile`,
          `set ${prefix}securityContext.seccompProfile.type: RuntimeDefault`,
        );
    }
  }
  return findings;
}
