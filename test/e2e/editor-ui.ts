// The editor's menus in the workbench: "Diff with teacher" is offered on a student (a spec that
// names its teacher) and not on the teacher, which has none to diff with.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explorerMenu, explorerMenuOffering, openWorkbench, Page } from './workbench';
import { FIXED_TEXT, TEACHER_SPEC } from './workspace';

const DIFF_TITLE = 'Diff with teacher';
const STUDENT_SPEC = 'student.arch.yaml';

export async function checkDiffWithTeacherMenus(page: Page, url: string, workspace: string, screenshot: (name: string) => Promise<void>): Promise<void> {
  writeFileSync(join(workspace, STUDENT_SPEC), `${FIXED_TEXT}candidate:\n  teacher: vgg-mini-mnist\n  teacherPath: ${TEACHER_SPEC}\n  action: {}\n`);
  // The explorer lists a file written behind its back only once it reloads.
  await openWorkbench(page, url, workspace, STUDENT_SPEC);
  // Offered on the student first: the extension has looked at the files by then, so its absence
  // on the teacher is its answer, not a menu shown too early.
  const onStudent = await explorerMenuOffering(page, STUDENT_SPEC, DIFF_TITLE);
  await screenshot('menu-on-student');
  assert.ok(onStudent.includes(DIFF_TITLE), `not offered on the student ${STUDENT_SPEC}; the menu has: ${onStudent.join(', ')}`);
  const onTeacher = await explorerMenu(page, TEACHER_SPEC);
  await screenshot('menu-on-teacher');
  assert.ok(onTeacher.length > 0, `no context menu on ${TEACHER_SPEC}`);
  assert.ok(!onTeacher.includes(DIFF_TITLE), `offered on the teacher ${TEACHER_SPEC}: ${onTeacher.join(', ')}`);
  await page.keyboard.press('Escape');
}
