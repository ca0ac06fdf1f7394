// The esnac protocol (protocol/index.ts) as typed vscode-languageclient messages, one constant per
// method, so every call site gets its params and result types from one place.
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageclient/node';
import * as protocol from '../protocol';

export const startSearch = new RequestType<protocol.StartSearchParams, protocol.SearchResult, void>(protocol.StartSearch);
export const resumeRun = new RequestType<protocol.ResumeRunParams, protocol.SearchResult, void>(protocol.ResumeRun);
export const listRuns = new RequestType<protocol.ListRunsParams, protocol.ListRunsResult, void>(protocol.ListRuns);
export const runState = new RequestType<protocol.RunStateParams, protocol.RunStateResult, void>(protocol.RunState);
export const cancelRun = new RequestType<protocol.CancelRunParams, protocol.CancelRunResult, void>(protocol.CancelRun);
export const measureSpeed = new RequestType<protocol.SpeedParams, protocol.SpeedResult, void>(protocol.MeasureSpeed);
export const getEngineInfo = new RequestType0<protocol.EngineInfoParams, void>(protocol.GetEngineInfo);

export const engineInfo = new NotificationType<protocol.EngineInfoParams>(protocol.EngineInfo);
export const searchStarted = new NotificationType<protocol.SearchStartedParams>(protocol.SearchStarted);
export const searchProgress = new NotificationType<protocol.SearchProgressParams>(protocol.SearchProgress);
export const candidateEvaluated = new NotificationType<protocol.CandidateEvaluatedParams>(protocol.CandidateEvaluated);
export const log = new NotificationType<protocol.LogParams>(protocol.Log);
