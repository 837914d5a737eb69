import { viewerScript } from './appBundle.ts';
import { viewerHtml } from './page.ts';
import type { ViewModel } from './viewModel.ts';

/**
 * `report.html`: the viewer with the app script and the scene inlined, so it opens from
 * `file://` with no server and no network (meshes travel inside the view model).
 */
export async function reportHtml(model: ViewModel): Promise<string> {
  return viewerHtml({ title: model.title, script: await viewerScript(), model, inlineScript: true });
}
