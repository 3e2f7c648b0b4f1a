export { toKubeYaml, manifestYamlDoc } from './yaml.js';
