// Questions asked one after another, numbered ("2/4" in the title) with a Back button: each
// question turns the answers so far into new ones; Back returns to the previous question with
// the answers it had. The questions may depend on the answers (an Advanced path adds some).
import * as vscode from 'vscode';

export const BACK = Symbol('back');

/** Where a question stands in the series, for its title and its Back button. */
export interface Place {
  title: string;
  step: number;
  totalSteps: number;
}

/** Resolves to the new answers, BACK, or undefined when the user gave up (Escape). */
export type Question<S> = (answers: S, place: Place) => Promise<S | typeof BACK | undefined>;

export async function askInTurn<S>(title: string, initial: S, questions: (answers: S) => Question<S>[]): Promise<S | undefined> {
  const history: S[] = [];
  let answers = initial;
  for (let i = 0; ; ) {
    const series = questions(answers);
    if (i >= series.length) return answers;
    const result = await series[i](answers, { title, step: i + 1, totalSteps: series.length });
    if (result === undefined) return undefined;
    if (result === BACK) {
      if (i === 0) continue;
      answers = history.pop()!;
      i--;
    } else {
      history.push(answers);
      answers = result;
      i++;
    }
  }
}

export type Choice<T> = vscode.QuickPickItem & { value: T };

type Answer<R> = R | typeof BACK | undefined;

/**
 * Shows `input` as the question at `place` until it is answered, Back is pressed or it is hidden;
 * `wire` connects the input's own events to `finish`, which settles the question once (`settled`
 * tells whether it was).
 */
function ask<R>(input: vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox, place: Place, wire: (finish: (answer: Answer<R>) => void, settled: () => boolean) => void): Promise<Answer<R>> {
  return new Promise((resolve) => {
    Object.assign(input, { title: place.title, step: place.step, totalSteps: place.totalSteps, ignoreFocusOut: true });
    if (place.step > 1) input.buttons = [vscode.QuickInputButtons.Back];
    let done = false;
    const finish = (answer: Answer<R>) => {
      if (done) return;
      done = true;
      resolve(answer);
      input.dispose();
    };
    input.onDidTriggerButton((button) => button === vscode.QuickInputButtons.Back && finish(BACK));
    input.onDidHide(() => finish(undefined));
    wire(finish, () => done);
    input.show();
  });
}

/** One pick; `items` may be replaced while it is shown (an estimate arriving), keeping the highlighted one. */
export function pick<T>(place: Place, placeholder: string, items: Choice<T>[], later?: Promise<Choice<T>[] | undefined>): Promise<Answer<T>> {
  const input = vscode.window.createQuickPick<Choice<T>>();
  Object.assign(input, { placeholder, matchOnDescription: true, items });
  return ask<T>(input, place, (finish, settled) => {
    input.onDidAccept(() => {
      const [chosen] = input.selectedItems;
      if (chosen) finish(chosen.value);
    });
    void later?.then((updated) => {
      if (settled() || !updated) return;
      const active = input.activeItems[0]?.value;
      input.items = updated;
      const keep = updated.find((item) => item.value === active);
      if (keep) input.activeItems = [keep];
    });
  });
}

/** One line of text, checked by `validate` (a message when wrong). */
export function text(place: Place, prompt: string, value: string, validate: (input: string) => string | undefined): Promise<Answer<string>> {
  const input = vscode.window.createInputBox();
  Object.assign(input, { prompt, value });
  return ask<string>(input, place, (finish) => {
    input.onDidChangeValue((current) => (input.validationMessage = validate(current)));
    input.onDidAccept(() => {
      const problem = validate(input.value);
      if (problem) input.validationMessage = problem;
      else finish(input.value);
    });
  });
}
