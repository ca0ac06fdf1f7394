// Renaming a layer id: its definition, every `inputs` entry that reads it, and `output`.
// Refusals are ResponseErrors, whose message VS Code shows as it is.
import { ErrorCodes, Position, Range, ResponseError, TextEdit } from 'vscode-languageserver';
import schema from '../../schemas/architecture.schema.json';
import { INPUT_ID } from '../architecture/types';
import { formatForPath } from '../architecture/write';
import { occurrences, siteAt, SpecAnalysis } from './analysis';
import { fromLspPosition, toLspRange } from './features';
import { yamlScalar } from './text-edits';

const ID_PATTERN = new RegExp(schema.definitions.layerRef.pattern);
const ID_MAX_LENGTH = schema.definitions.layerRef.maxLength;

function refuse(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidRequest, message);
}

/** The id under the cursor and its range, or a refusal saying why it cannot be renamed. */
export function prepareRename(analysis: SpecAnalysis, at: Position): { range: Range; placeholder: string } {
  if (!analysis.parsed) throw refuse('fix the syntax errors in this file first: renaming needs a file that parses');
  const site = siteAt(analysis, fromLspPosition(at));
  if (!site) throw refuse('only a layer id can be renamed (put the cursor on an id, or on an id in inputs or output)');
  if (site.site.id === INPUT_ID) throw refuse(`'${INPUT_ID}' is the network input, not a layer: it cannot be renamed`);
  if (!analysis.layers.some((l) => l.definition.id === site.site.id)) throw refuse(`no layer has the id '${site.site.id}': there is nothing to rename`);
  return { range: toLspRange(site.site.range), placeholder: site.site.id };
}

/** The edits renaming the id under the cursor to `newName`. */
export function renameEdits(analysis: SpecAnalysis, at: Position, newName: string, fileName: string): TextEdit[] {
  const { placeholder: id } = prepareRename(analysis, at);
  if (newName === id) return [];
  if (newName === INPUT_ID) throw refuse(`'${INPUT_ID}' is reserved for the network input; choose another id`);
  if (!ID_PATTERN.test(newName) || newName.length > ID_MAX_LENGTH) {
    throw refuse(`'${newName}' is not a valid layer id: use letters, digits, '_', '.' and '-', starting with a letter or '_' (at most ${ID_MAX_LENGTH} characters)`);
  }
  if (analysis.layers.some((l) => l.definition.id === newName)) throw refuse(`a layer with the id '${newName}' exists already; layer ids must be unique`);
  const plain = formatForPath(fileName) === 'json' ? newName : yamlScalar(newName);
  return occurrences(analysis, id).map((site) => TextEdit.replace(toLspRange(site.range), site.quoted ? newName : plain));
}
