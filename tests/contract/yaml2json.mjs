// yaml2json.mjs - writes config/openapi.json from openapi.yaml (the server embeds both).
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const spec = YAML.parse(readFileSync(join(root, 'openapi.yaml'), 'utf8'));
writeFileSync(join(root, 'config', 'openapi.json'), JSON.stringify(spec) + '\n');
