/**
 * A squarified treemap (Bruls, Huizing, van Wijk 2000) of the repository: folders and files sized by tokens. Only
 * the layout lives here; the visualizer draws and colours the rectangles.
 */

export interface TreeNode {
  name: string;
  /** Path from the repository root ("" for the root; folders end without a slash). */
  path: string;
  tokens: number;
  /** Tokens of it in the answer's context. */
  selected: number;
  children?: TreeNode[];
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Folders and files of `files` (posix paths), sizes summed up the tree, children sorted largest first. */
export function buildTree(files: readonly {path: string; tokens: number; selected: number}[]): TreeNode {
  const root: TreeNode = {name: "", path: "", tokens: 0, selected: 0, children: []};
  for (const f of files) {
    const parts = f.path.split("/");
    let node = root;
    node.tokens += f.tokens;
    node.selected += f.selected;
    for (let i = 0; i < parts.length; i++) {
      const isFile = i === parts.length - 1;
      const path = parts.slice(0, i + 1).join("/");
      let child = node.children!.find((c) => c.name === parts[i] && (c.children == null) === isFile);
      if (!child) {
        child = {name: parts[i], path, tokens: 0, selected: 0, children: isFile ? undefined : []};
        node.children!.push(child);
      }
      child.tokens += f.tokens;
      child.selected += f.selected;
      node = child;
    }
  }
  const sort = (n: TreeNode) => {
    n.children?.sort((a, b) => b.tokens - a.tokens || (a.name < b.name ? -1 : 1));
    n.children?.forEach(sort);
  };
  sort(root);
  return root;
}

/** Lays `items` (sorted by size, largest first) out in `rect`; returns one rectangle per item, in order. */
export function squarify(sizes: readonly number[], rect: Rect): Rect[] {
  const total = sizes.reduce((a, s) => a + s, 0);
  const out: Rect[] = new Array(sizes.length);
  if (total <= 0 || sizes.length === 0) return sizes.map(() => ({x: rect.x, y: rect.y, w: 0, h: 0}));
  const scale = (rect.w * rect.h) / total;
  const areas = sizes.map((s) => s * scale);
  let free = {...rect};
  let i = 0;
  while (i < areas.length) {
    const short = Math.min(free.w, free.h);
    let row = [areas[i]];
    let j = i + 1;
    while (j < areas.length && worst([...row, areas[j]], short) <= worst(row, short)) row = [...row, areas[j++]];
    const sum = row.reduce((a, s) => a + s, 0);
    const thick = short > 0 ? sum / short : 0;
    let along = 0;
    for (let k = 0; k < row.length; k++) {
      const len = thick > 0 ? row[k] / thick : 0;
      out[i + k] = free.w >= free.h ? {x: free.x, y: free.y + along, w: thick, h: len} : {x: free.x + along, y: free.y, w: len, h: thick};
      along += len;
    }
    free =
      free.w >= free.h
        ? {x: free.x + thick, y: free.y, w: free.w - thick, h: free.h}
        : {x: free.x, y: free.y + thick, w: free.w, h: free.h - thick};
    i = j;
  }
  return out;
}

/** The worst aspect ratio of a row of areas laid along a side of length `side`. */
function worst(row: readonly number[], side: number): number {
  const sum = row.reduce((a, s) => a + s, 0);
  if (sum <= 0 || side <= 0) return Infinity;
  const max = Math.max(...row);
  const min = Math.min(...row);
  return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
}
