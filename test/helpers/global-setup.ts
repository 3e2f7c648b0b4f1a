// Placeholder until the real control plane lands (issue 4): the apiserver helper replaces this file.
export default async function setup(): Promise<void> {}
