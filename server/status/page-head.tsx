/** The `<head>` every page of the server writes: the same meta tags, no inline anything (the CSP allows none). */
export function PageHead(props: { title: string; stylesheet: string; script?: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <title>{props.title}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={props.stylesheet} />
      {props.script === undefined ? null : <script src={props.script} defer />}
    </head>
  );
}
