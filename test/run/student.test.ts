// Which spec files are students, and of which teacher: what "Diff with teacher" is offered on.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TEACHER_SPEC } from '../../engine/run/run-directory';
import { teacherOfSpec } from '../../engine/run/student';

test("a run's students have its teacher; its teacher copy and a plain spec are no students, and say why", () => {
  const root = mkdtempSync(join(tmpdir(), 'esnac-student-'));
  const run = join(root, 'esnac-runs', 'r1');
  mkdirSync(join(run, 'candidates'), { recursive: true });
  writeFileSync(join(run, 'run.json'), JSON.stringify({ teacher: { name: 't', spec: TEACHER_SPEC } }));
  const spec = 'name: s\nlayers: []\n';

  assert.deepEqual(teacherOfSpec(join(run, 'best.arch.yaml'), spec), { teacher: join(run, TEACHER_SPEC) });
  assert.deepEqual(teacherOfSpec(join(run, 'candidates', 'c1.arch.yaml'), spec), { teacher: join(run, TEACHER_SPEC) });
  const named = 'name: s\ncandidate:\n  teacher: t\n  teacherPath: ../../t.arch.yaml\n  action: {}\n';
  assert.deepEqual(teacherOfSpec(join(run, 'candidates', 'c2.arch.yaml'), named), { teacher: join(root, 'esnac-runs', 't.arch.yaml') }, 'candidate.teacherPath comes first');

  const teacher = teacherOfSpec(join(run, TEACHER_SPEC), spec);
  assert.ok('notAStudent' in teacher);
  assert.match(teacher.notAStudent, /teacher\.arch\.yaml is the teacher of the run r1/);
  const plain = teacherOfSpec(join(root, 'resnet.arch.yaml'), spec);
  assert.ok('notAStudent' in plain);
  assert.match(plain.notAStudent, /resnet\.arch\.yaml is not a student: it names no teacher/);
  assert.deepEqual(teacherOfSpec(join(root, 'mine.arch.json'), '{"candidate": {"teacherPath": "/abs/t.arch.json"}}'), { teacher: '/abs/t.arch.json' });
  assert.ok('notAStudent' in teacherOfSpec(join(root, 'broken.arch.yaml'), 'name: [unclosed'));
});
