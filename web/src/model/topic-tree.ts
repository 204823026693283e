export interface TopicInfo {
  topic: string;
  count: number;
  ts: number;
  retained: boolean;
  bytes: number;
  preview: string;
}

export interface TopicNode {
  name: string;
  path: string;
  /** Set when a message was published on exactly this topic. */
  info?: TopicInfo;
  children: TopicNode[];
  /** Messages on this topic and everything below it. */
  total: number;
}

const collator = new Intl.Collator(undefined, { numeric: true });

/** Topics split at `/` into a tree (an empty level, as in `a//b`, is a level too), sorted by name. */
export function topicTree(topics: TopicInfo[]): TopicNode {
  const root: TopicNode = { name: '', path: '', children: [], total: 0 };
  const index = new Map<string, TopicNode>();
  for (const info of topics) {
    let node = root;
    node.total += info.count;
    const levels = info.topic.split('/');
    for (let i = 0; i < levels.length; i++) {
      const path = levels.slice(0, i + 1).join('/');
      let child = index.get(path);
      if (!child) {
        child = { name: levels[i]!, path, children: [], total: 0 };
        index.set(path, child);
        node.children.push(child);
      }
      child.total += info.count;
      node = child;
    }
    node.info = info;
  }
  const sort = (n: TopicNode): void => {
    n.children.sort((a, b) => collator.compare(a.name, b.name));
    n.children.forEach(sort);
  };
  sort(root);
  return root;
}
