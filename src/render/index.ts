export { renderStack } from './stack.js';
export { jsonnetToString, manifestYamlDoc, toKubeYaml } from './yaml.js';
